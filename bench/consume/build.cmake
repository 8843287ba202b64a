# bench-consume: consume throughput, rill-broker vs librdkafka's mock cluster;
# bench/consume/run passes the rill-broker path.
rill_rdkafka_bench(consume)
