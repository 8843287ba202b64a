rill_kafka_tool(rill-produce)
