rill_kafka_tool(rill-consume)
