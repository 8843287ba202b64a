rill_kafka_tool(rill-users)
