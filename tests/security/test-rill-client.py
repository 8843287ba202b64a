"""test-rill-client.py — rill's own Kafka client (through the rill-topics,
rill-produce and rill-consume CLIs and their -X librdkafka-named
properties) against rill-broker over SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256,
PLAIN), SASL_PLAINTEXT and mTLS: produce, consume, topic admin; a wrong
password, an untrusted broker certificate and an ACL denial end the tool
with the broker's reason."""
import os
import subprocess

from rillbroker import binary_dir, check
from secbroker import MTLS_PRINCIPAL, SecureBroker, USERS, grant


def tool(name, args, stdin=b"", expect_rc=0, what=""):
    p = subprocess.run([os.path.join(binary_dir(), "tools", name)] + args, input=stdin, capture_output=True,
                       timeout=60)
    check(p.returncode == expect_rc, "%s: %s exited %d, expected %d: %s" % (what, name, p.returncode, expect_rc,
                                                                           p.stderr.decode(errors="replace")))
    return p.stdout.decode(), p.stderr.decode()


def props(conf):
    out = []
    for k, v in conf.items():
        if k != "bootstrap.servers":
            out += ["-X", "%s=%s" % (k, v)]
    return ["-b", conf["bootstrap.servers"], "--timeout-ms", "10000"] + out


def roundtrip(conf, topic, what):
    lines = ["%s-%d" % (topic, i) for i in range(50)]
    tool("rill-produce", props(conf) + ["-t", topic], ("\n".join(lines) + "\n").encode(), what=what)
    out, _ = tool("rill-consume", props(conf) + ["-t", topic, "-e"], what=what)
    check(out.split() == lines, "%s: consumed %r" % (what, out[:200]))


def main():
    with SecureBroker() as b:
        admin = b.scram(user="admin")
        tool("rill-topics", props(admin) + ["create", "admin-topic", "-P", "2"], what="create as admin")
        out, _ = tool("rill-topics", props(admin) + ["list"], what="list as admin")
        check("admin-topic" in out.split(), "topic list: %r" % out)

        for who in ("User:alice", MTLS_PRINCIPAL):
            grant(b, who, "TOPIC", "t-", ["ALL"], pattern="PREFIXED")
            grant(b, who, "GROUP", "*", ["ALL"])
        grant(b, "User:alice", "TOPIC", "t-secret", ["READ", "WRITE"], permission="DENY")

        roundtrip(b.scram(), "t-scram512", "SASL_SSL SCRAM-SHA-512")
        roundtrip(b.scram(mechanism="SCRAM-SHA-256"), "t-scram256", "SASL_SSL SCRAM-SHA-256")
        roundtrip(b.scram(mechanism="PLAIN"), "t-plain", "SASL_SSL PLAIN")
        sasl_plain = dict(b.scram(), **{"bootstrap.servers": b.bootstrap("SASL_PLAINTEXT"),
                                        "security.protocol": "SASL_PLAINTEXT"})
        del sasl_plain["ssl.ca.location"]
        roundtrip(sasl_plain, "t-saslplain", "SASL_PLAINTEXT SCRAM-SHA-512")
        roundtrip(b.mtls(), "t-mtls", "SSL with a client certificate")
        # Host name checking: the broker's certificate names localhost too.
        roundtrip(dict(b.scram(), **{"bootstrap.servers": "localhost:%d" % b.ports["SASL_SSL"]}), "t-localhost",
                  "SASL_SSL via localhost")

        _, err = tool("rill-topics", props(b.scram(password="wrong")) + ["list"], expect_rc=3, what="wrong password")
        check("SASL_AUTHENTICATION_FAILED" in err, "wrong password: %r" % err)
        _, err = tool("rill-topics", props(b.scram(user="mallory")) + ["list"], expect_rc=3, what="unknown user")
        check("SASL_AUTHENTICATION_FAILED" in err, "unknown user: %r" % err)
        untrusted = dict(b.scram(), **{"ssl.ca.location": b.cert("rogue-ca.pem")})
        _, err = tool("rill-topics", props(untrusted) + ["list"], expect_rc=2, what="untrusted broker")
        check("certificate verification failed" in err, "untrusted broker certificate: %r" % err)

        _, err = tool("rill-produce", props(b.scram()) + ["-t", "t-secret"], b"x\n", expect_rc=4, what="denied")
        check("TOPIC_AUTHORIZATION_FAILED" in err, "denied produce: %r" % err)
        _, err = tool("rill-topics", props(b.scram()) + ["delete", "admin-topic"], expect_rc=3, what="denied delete")
        check("TOPIC_AUTHORIZATION_FAILED" in err, "denied delete: %r" % err)
        check(USERS["alice"] not in b.log(), "the password never reaches the broker's log")
    print("ok")


main()
