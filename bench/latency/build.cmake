# bench-latency: end-to-end latency, rill-broker vs librdkafka's mock cluster;
# bench/latency/run passes the rill-broker path.
rill_rdkafka_bench(latency)
