"""test-confluent.py — confluent-kafka (librdkafka) against rill-broker's
security: SASL_SSL with SCRAM-SHA-512 (and SCRAM-SHA-256, PLAIN) and mTLS
produce and consume; a wrong password, an unknown user, a certificate from
another CA, no certificate, and a plaintext client on a TLS port are all
refused cleanly (the client sees the failure, the broker logs it and keeps
serving); a request before SASL authentication closes the connection."""
import socket
import struct
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

from rillbroker import check, wait_until
from secbroker import MTLS_PRINCIPAL, SecureBroker, grant

N = 200


def produce_consume(conf, topic, what):
    p = Producer(conf)
    for i in range(N):
        p.produce(topic, value=b"v%d" % i, key=b"k%d" % i)
    check(p.flush(30) == 0, what + ": produce did not complete")
    c = Consumer(dict(conf, **{"group.id": "g-" + topic, "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    got = []
    end = time.monotonic() + 60
    while len(got) < N and time.monotonic() < end:
        m = c.poll(0.5)
        if m is None:
            continue
        check(not m.error(), "%s: consume error %s" % (what, m.error()))
        got.append(m.value())
    c.close()
    check(got == [b"v%d" % i for i in range(N)], "%s: consumed %d records, expected %d in order" % (what, len(got), N))


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


def main():
    with SecureBroker() as b:
        # Deny by default (SSL/SASL listeners): alice and the certificate's
        # principal get what the scenarios need.
        for who in ("User:alice", MTLS_PRINCIPAL):
            grant(b, who, "TOPIC", "*", ["ALL"])
            grant(b, who, "GROUP", "*", ["ALL"])
        produce_consume(b.scram(), "scram512", "SASL_SSL SCRAM-SHA-512")
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

        # Still serving after all that.
        produce_consume(b.scram(mechanism="SCRAM-SHA-256"), "after", "SCRAM-SHA-256 after the refusals")
    print("ok")


main()
