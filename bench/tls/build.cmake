# bench-tls: produce and consume over SASL_SSL (SCRAM-SHA-512) vs PLAINTEXT on
# one rill-broker; bench/tls/run makes the certificates and passes the paths.
rill_rdkafka_bench(tls)
