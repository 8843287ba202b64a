# bench-metrics-overhead: pipeline and broker throughput with the HTTP
# service off vs on and scraped every 100 ms; links librill (the pipeline
# runs in process) and librdkafka (the broker's producer).
rill_rdkafka_bench(metrics-overhead)
target_link_libraries(bench-metrics-overhead PRIVATE rill_internal)
