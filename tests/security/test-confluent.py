"""test-confluent.py — confluent-kafka (librdkafka) against rill-broker's
security: SASL_SSL with SCRAM-SHA-512 (and SCRAM-SHA-256, PLAIN) and mTLS
produce and consume; a wrong password, an unknown user, a certificate from
another CA, no certificate, and a plaintext client on a TLS port are all
refused cleanly (the client sees the failure, the broker logs it and keeps
serving); a request before SASL authentication closes the connection."""
import socket
import struct
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from rillbroker import check, wait_until
from secbroker import SecureBroker, standard_acls

N = 200


def value(i, size):
    return (b"v%d-" % i).ljust(size, b"%c" % (97 + i % 26))


def produce_consume(conf, topic, what, n=N, size=0):
    p = Producer(conf)
    for i in range(n):
        p.produce(topic, value=value(i, size), key=b"k%d" % i)
    check(p.flush(30) == 0, what + ": produce did not complete")
    c = Consumer(dict(conf, **{"group.id": "g-" + topic, "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    got = []
    end = time.monotonic() + 60
    while len(got) < n and time.monotonic() < end:
        m = c.poll(0.5)
        if m is None:
            continue
        check(not m.error(), "%s: consume error %s" % (what, m.error()))
        got.append(m.value())
    c.close()
    check(got == [value(i, size) for i in range(n)], "%s: consumed %d records, expected %d in order" % (what, len(got), n))


def refused(conf, what):
    """The client must fail to reach the cluster; returns its errors."""
    errors = []
    p = Producer(dict(conf, **{"error_cb": errors.append, "socket.timeout.ms": 5000,
                               "reconnect.backoff.max.ms": 1000}))
    try:
        p.list_topics(timeout=1)
        check(False, what + ": the broker accepted the client")
    except KafkaException:
        pass
    wait_until(lambda: (p.poll(0.1), errors)[1], what + ": an error reported to the client")
    return errors


def denied(b):
    """bob has no ACL: produce, fetch, group join and topic deletion fail
    with Kafka's authorization errors."""
    bob = b.scram(user="bob")
    reports = []
    p = Producer(dict(bob, **{"on_delivery": lambda err, msg: reports.append(err), "message.timeout.ms": 10000}))
    p.produce("locked", b"x")
    p.flush(20)
    check(len(reports) == 1 and reports[0] is not None and reports[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED,
          "denied produce: %s" % reports)

    c = Consumer(dict(bob, **{"group.id": "g-bob"}))
    c.assign([TopicPartition("locked", 0, 0)])
    err = None
    end = time.monotonic() + 30
    while err is None and time.monotonic() < end:
        m = c.poll(0.5)
        # (the coordinator lookup for the group fails too: not this check)
        if m is not None and m.error() and m.error().code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
            err = m.error()
    c.close()
    check(err is not None, "denied fetch: no TOPIC_AUTHORIZATION_FAILED")

    c = Consumer(dict(bob, **{"group.id": "g-bob"}))
    c.subscribe(["locked"])
    err = None
    end = time.monotonic() + 30
    while err is None and time.monotonic() < end:
        m = c.poll(0.5)
        if m is not None and m.error() and m.error().code() == KafkaError.GROUP_AUTHORIZATION_FAILED:
            err = m.error()
    c.close()
    check(err is not None, "denied group join: no GROUP_AUTHORIZATION_FAILED")

    admin = AdminClient(bob)
    fs = admin.delete_topics(["locked"], operation_timeout=10)
    try:
        fs["locked"].result(20)
        check(False, "denied delete: the topic was deleted")
    except KafkaException as e:
        check(e.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, "denied delete: %s" % e)

    configs(b, admin)
    delete_groups(b)
    offsets(b)


def partition_errors(call):
    """The per-partition error codes of a commit or committed() call, which
    librdkafka either returns on the partitions or raises."""
    try:
        return [tp.error.code() if tp.error else None for tp in call()]
    except KafkaException as e:
        return [e.args[0].code()]


def offsets(b):
    """OffsetCommit needs READ on each topic besides the group's READ, and
    OffsetFetch answers only topics the principal may DESCRIBE: bob (READ on
    group "bob-commit", DESCRIBE on "locked" only) cannot commit to "locked"
    nor read alice's committed offsets of "scram512"."""
    from secbroker import acl, kafka_python_admin
    admin = kafka_python_admin(b)
    check(not admin.create_acls(acl("User:bob", "GROUP", "bob-commit", ["READ"]))["failed"], "bob-commit ACL")
    admin.close()
    c = Consumer(dict(b.scram(user="bob"), **{"group.id": "bob-commit", "enable.auto.commit": False}))
    errs = partition_errors(lambda: c.commit(offsets=[TopicPartition("locked", 0, 1)], asynchronous=False))
    check(errs == [KafkaError.TOPIC_AUTHORIZATION_FAILED], "commit without topic READ: %s" % errs)
    errs = partition_errors(lambda: c.committed([TopicPartition("scram512", 0)], timeout=20))
    check(errs == [KafkaError.TOPIC_AUTHORIZATION_FAILED], "committed() without topic DESCRIBE: %s" % errs)
    errs = partition_errors(lambda: c.committed([TopicPartition("locked", 0)], timeout=20))
    check(errs == [None], "committed() with topic DESCRIBE: %s" % errs)
    c.close()


def delete_groups(b):
    """DeleteGroups answers per group: bob may DELETE "bob-del" (which gets
    the coordinator's own answer, GROUP_ID_NOT_FOUND: it has no state) but
    not "g-other" (GROUP_AUTHORIZATION_FAILED) in the same request."""
    from kafka.errors import GroupAuthorizationFailedError, GroupIdNotFoundError
    from secbroker import acl, kafka_python_admin
    admin = kafka_python_admin(b)
    check(not admin.create_acls(acl("User:bob", "GROUP", "bob-del", ["DELETE"]))["failed"], "bob-del ACL")
    admin.close()
    # Straight to the coordinator: bob may not FindCoordinator "g-other".
    node = next(iter(AdminClient(b.scram()).list_topics(timeout=20).brokers))
    bob = kafka_python_admin(b, user="bob")
    got = dict(bob.delete_consumer_groups(["bob-del", "g-other"], group_coordinator_id=node))
    bob.close()
    check(got["bob-del"] is GroupIdNotFoundError and got["g-other"] is GroupAuthorizationFailedError,
          "delete_groups per group: %s" % got)

    # ListGroups shows bob only the groups he may DESCRIBE; alice's group
    # (from produce_consume) is listed for alice, hidden from bob, and
    # DescribeGroups answers him GROUP_AUTHORIZATION_FAILED for it.
    alice = kafka_python_admin(b, user="alice")
    theirs = {g for g, _ in alice.list_consumer_groups()}
    alice.close()
    check("g-scram512" in theirs, "alice's groups listed: %s" % theirs)
    bob = kafka_python_admin(b, user="bob")
    mine = {g for g, _ in bob.list_consumer_groups()}
    check(mine <= {"bob-fetch", "bob-join", "bob-del"}, "bob's list_groups shows others' groups: %s" % mine)
    try:
        d = bob.describe_consumer_groups(["g-scram512"], group_coordinator_id=node)
        check(False, "bob described alice's group: %s" % d)
    except GroupAuthorizationFailedError:
        pass
    bob.close()


def config_error(future):
    try:
        future.result(20)
        return None
    except KafkaException as e:
        return e.args[0].code()


def configs(b, bob_admin):
    """DescribeConfigs needs DESCRIBE_CONFIGS, AlterConfigs ALTER_CONFIGS, on
    the topic (cluster for a broker): bob (DESCRIBE on "locked" only) gets
    Kafka's per-resource authorization errors; alice (ALL on topics) is
    answered, the topic's config left as it was."""
    topic = ConfigResource("TOPIC", "locked")
    err = config_error(bob_admin.describe_configs([topic])[topic])
    check(err == KafkaError.TOPIC_AUTHORIZATION_FAILED, "denied describe_configs: %s" % err)
    err = config_error(bob_admin.alter_configs([ConfigResource("TOPIC", "locked",
                                                               set_config={"retention.ms": "1000"})])[topic])
    check(err == KafkaError.TOPIC_AUTHORIZATION_FAILED, "denied alter_configs: %s" % err)
    broker_id = next(iter(bob_admin.list_topics(timeout=20).brokers))
    broker = ConfigResource("BROKER", str(broker_id))
    err = config_error(bob_admin.describe_configs([broker])[broker])
    check(err == KafkaError.CLUSTER_AUTHORIZATION_FAILED, "denied broker describe_configs: %s" % err)

    alice = AdminClient(b.scram())
    got = alice.describe_configs([topic])[topic].result(20)
    check(got["retention.ms"].value != "1000", "bob's denied alter changed retention.ms: %s" % got["retention.ms"])


def main():
    with SecureBroker() as b:
        standard_acls(b)
        produce_consume(b.scram(), "scram512", "SASL_SSL SCRAM-SHA-512")
        # Large fetches: many TLS records per response, pread + encrypt in
        # chunks, partial socket writes.
        produce_consume(b.scram(), "big", "SASL_SSL 300 KB records", n=40, size=300000)
        check('principal="User:alice"' in b.log(), "SCRAM principal logged")
        for mech in ("SCRAM-SHA-256", "PLAIN"):
            md = Producer(b.scram(mechanism=mech)).list_topics(timeout=20)
            check("scram512" in md.topics, mech + ": metadata lists the topic")
        produce_consume(b.mtls(), "mtls", "SSL with a client certificate")

        errs = refused(b.scram(password="wrong"), "wrong password")
        check(any(e.code() == KafkaError._AUTHENTICATION for e in errs), "wrong password: %s" % errs)
        check('user="alice" reason="wrong' in b.log() or 'user="alice" reason="Authentication failed' in b.log(),
              "wrong password logged")
        errs = refused(b.scram(user="mallory"), "unknown user")
        check(any(e.code() == KafkaError._AUTHENTICATION for e in errs), "unknown user: %s" % errs)
        check('user="mallory"' in b.log(), "unknown user logged")
        errs = refused(b.scram(user="mallory", mechanism="PLAIN"), "unknown user (PLAIN)")
        check(any(e.code() == KafkaError._AUTHENTICATION for e in errs), "unknown PLAIN user: %s" % errs)

        refused(b.mtls(cert="rogue"), "certificate from another CA")
        no_cert = b.mtls()
        del no_cert["ssl.certificate.location"], no_cert["ssl.key.location"]
        refused(no_cert, "no client certificate")
        check(b.log().count("mechanism=TLS reason=") >= 2, "TLS failures logged")

        before = b.log().count("mechanism=TLS reason=")
        refused({"bootstrap.servers": b.bootstrap("SASL_SSL"), "security.protocol": "PLAINTEXT"},
                "plaintext client on a TLS port")
        wait_until(lambda: b.log().count("mechanism=TLS reason=") > before, "the plaintext client's TLS failure logged")

        # A request before authentication on a SASL listener: closed.
        s = socket.create_connection(("127.0.0.1", b.ports["SASL_PLAINTEXT"]), timeout=20)
        body = struct.pack(">hhih", 3, 0, 1, 4) + b"test" + struct.pack(">i", -1)
        s.sendall(struct.pack(">i", len(body)) + body)
        check(s.recv(100) == b"", "Metadata before SASL: connection closed without an answer")
        s.close()

        denied(b)

        # Still serving after all that.
        produce_consume(b.scram(mechanism="SCRAM-SHA-256"), "after", "SCRAM-SHA-256 after the refusals")
    print("ok")


main()
