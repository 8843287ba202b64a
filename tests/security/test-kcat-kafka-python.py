"""test-kcat-kafka-python.py — kcat and kafka-python against rill-broker's
security: SASL_SSL with SCRAM-SHA-512 and mTLS produce and consume; a wrong
password, an unknown user and a certificate from another CA refused; as bob
(who may only see the topic "locked") produce, fetch and group join are
denied with Kafka's authorization errors, and kafka-python's topic
deletion too (kcat cannot delete topics)."""
import ssl
import subprocess

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import (GroupAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError)

from rillbroker import check
from secbroker import SecureBroker, USERS, standard_acls

N = 100


def kcat_args(conf):
    args = ["kcat", "-b", conf["bootstrap.servers"]]
    for k, v in conf.items():
        if k != "bootstrap.servers":
            args += ["-X", "%s=%s" % ("sasl.mechanisms" if k == "sasl.mechanism" else k, v)]
    return args


def kcat(conf, args, stdin=b"", expect_ok=True, what=""):
    p = subprocess.run(kcat_args(conf) + args, input=stdin, capture_output=True, timeout=60)
    check((p.returncode == 0) == expect_ok, "%s: kcat exited %d: %s" % (what, p.returncode, p.stderr.decode()[-500:]))
    return p.stdout.decode(), p.stderr.decode()


def kcat_roundtrip(conf, topic, what):
    lines = ["%s-%d" % (topic, i) for i in range(N)]
    kcat(conf, ["-P", "-t", topic], ("\n".join(lines) + "\n").encode(), what=what + " produce")
    out, _ = kcat(conf, ["-C", "-t", topic, "-e", "-o", "beginning"], what=what + " consume")
    check(out.split() == lines, "%s: kcat consumed %r" % (what, out[:200]))


def kp(b, user=None, password=None, mtls=None):
    """kafka-python settings: SASL_SSL SCRAM-SHA-512 as @user, or SSL with
    the @mtls certificate."""
    common = {"ssl_cafile": b.cert("ca.pem"), "ssl_check_hostname": False, "request_timeout_ms": 20000,
              "api_version_auto_timeout_ms": 10000}
    if mtls:
        return dict(common, bootstrap_servers=b.bootstrap("SSL"), security_protocol="SSL",
                    ssl_certfile=b.cert(mtls + ".pem"), ssl_keyfile=b.cert(mtls + ".key"))
    return dict(common, bootstrap_servers=b.bootstrap("SASL_SSL"), security_protocol="SASL_SSL",
                sasl_mechanism="SCRAM-SHA-512", sasl_plain_username=user,
                sasl_plain_password=USERS.get(user, "x") if password is None else password)


def kp_roundtrip(conf, topic, what):
    p = KafkaProducer(**conf)
    for i in range(N):
        p.send(topic, b"v%d" % i).get(30)
    p.close()
    c = KafkaConsumer(topic, group_id="kp-" + topic, auto_offset_reset="earliest", consumer_timeout_ms=30000, **conf)
    got = []
    for m in c:
        got.append(m.value)
        if len(got) == N:
            break
    c.close()
    check(got[:N] == [b"v%d" % i for i in range(N)], "%s: kafka-python consumed %d records" % (what, len(got)))


def kp_refused(conf, what):
    try:
        # (a refused client gives up after api_version_auto_timeout_ms)
        p = KafkaProducer(**dict(conf, api_version_auto_timeout_ms=1500))
        p.close()
    except (KafkaError, ssl.SSLError):
        return
    check(False, what + ": kafka-python connected")


def main():
    with SecureBroker() as b:
        standard_acls(b)
        kcat_roundtrip(b.scram(), "kcat-scram", "kcat SASL_SSL SCRAM-SHA-512")
        kcat_roundtrip(b.mtls(), "kcat-mtls", "kcat mTLS")
        _, err = kcat(b.scram(password="wrong"), ["-L", "-m", "3"], expect_ok=False, what="kcat wrong password")
        check("Authentication failed" in err, "kcat wrong password: %r" % err[-300:])
        _, err = kcat(b.scram(user="mallory"), ["-L", "-m", "3"], expect_ok=False, what="kcat unknown user")
        check("Authentication failed" in err, "kcat unknown user: %r" % err[-300:])
        kcat(b.mtls(cert="rogue"), ["-L", "-m", "3"], expect_ok=False, what="kcat foreign certificate")

        bob = b.scram(user="bob")
        _, err = kcat(bob, ["-P", "-t", "locked"], b"x\n", expect_ok=False, what="kcat denied produce")
        check("Topic authorization failed" in err, "kcat denied produce: %r" % err[-300:])
        _, err = kcat(bob, ["-C", "-t", "locked", "-e", "-o", "beginning"], expect_ok=False, what="kcat denied fetch")
        check("Topic authorization failed" in err, "kcat denied fetch: %r" % err[-300:])
        _, err = kcat(bob, ["-G", "g-bob", "locked", "-e"], expect_ok=False, what="kcat denied group")
        check("Group authorization failed" in err, "kcat denied group join: %r" % err[-300:])

        kp_roundtrip(kp(b, "alice"), "kp-scram", "kafka-python SASL_SSL SCRAM-SHA-512")
        plain = KafkaAdminClient(**dict(kp(b, "alice"), sasl_mechanism="PLAIN"))
        check("kp-scram" in plain.list_topics(), "kafka-python SASL_SSL PLAIN: topic list")
        plain.close()
        kp_roundtrip(kp(b, mtls="client"), "kp-mtls", "kafka-python mTLS")
        kp_refused(kp(b, "alice", password="wrong"), "kafka-python wrong password")
        kp_refused(kp(b, "mallory"), "kafka-python unknown user")
        kp_refused(kp(b, mtls="rogue"), "kafka-python foreign certificate")

        p = KafkaProducer(**kp(b, "bob"))
        try:
            p.send("locked", b"x").get(30)
            check(False, "kafka-python denied produce: accepted")
        except TopicAuthorizationFailedError:
            pass
        p.close()
        c = KafkaConsumer(**kp(b, "bob"))
        c.assign([TopicPartition("locked", 0)])
        c.seek(TopicPartition("locked", 0), 0)
        try:
            c.poll(timeout_ms=10000)
            c.poll(timeout_ms=10000)
            check(False, "kafka-python denied fetch: no error")
        except TopicAuthorizationFailedError:
            pass
        c.close()
        c = KafkaConsumer("locked", group_id="g-bob", **kp(b, "bob"))
        try:
            c.poll(timeout_ms=10000)
            check(False, "kafka-python denied group join: no error")
        except GroupAuthorizationFailedError:
            pass
        c.close()
        admin = KafkaAdminClient(**kp(b, "bob"))
        try:
            admin.delete_topics(["locked"])
            check(False, "kafka-python denied delete: the topic was deleted")
        except TopicAuthorizationFailedError:
            pass
        admin.close()
    print("ok")


main()
