rill_kafka_tool(rill-acls)
