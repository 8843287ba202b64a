rill_sources(admin.c consumer-group.c kconf.c kclient.c ksec.c producer.c kafka-sink.c kafka-source.c kafka-elements.c)
