# bench-broker: produce throughput, rill-broker vs librdkafka's mock cluster;
# bench/broker/run passes the rill-broker path.
rill_rdkafka_bench(broker)
