rill_kafka_tool(rill-groups)
