rill_kafka_tool(rill-topics)
