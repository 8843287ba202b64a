# bench-broker-abuse: a librdkafka producer/consumer pair on rill-broker, quiet and beside abusive raw-socket peers;
# bench/broker-abuse/run passes the rill-broker path.
rill_rdkafka_bench(broker-abuse)
