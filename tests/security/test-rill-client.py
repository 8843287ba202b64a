"""test-rill-client.py — rill's own Kafka client (through the rill-topics,
rill-produce, rill-consume, rill-acls and rill-users CLIs and their -X
librdkafka-named properties) against rill-broker over SASL_SSL
(SCRAM-SHA-512, SCRAM-SHA-256, PLAIN), SASL_PLAINTEXT and mTLS: produce,
consume, topic admin, ACLs and SCRAM users managed through the Kafka APIs
and kept across a restart; a wrong password, an untrusted broker
certificate and an ACL denial end the tool with the broker's reason."""
import os
import subprocess

from rillbroker import binary_dir, check
from secbroker import MTLS_PRINCIPAL, SecureBroker, USERS


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

        acl = props(admin)
        for who in ("User:alice", MTLS_PRINCIPAL):
            tool("rill-acls", acl + ["add", "--allow", "--principal", who, "--operation", "ALL", "--topic", "t-",
                                     "--prefixed"], what="grant topics")
            tool("rill-acls", acl + ["add", "--allow", "--principal", who, "--operation", "all", "--group", "*"],
                 what="grant groups")
        tool("rill-acls", acl + ["add", "--deny", "--principal", "User:alice", "--operation", "READ", "--operation",
                                 "WRITE", "--topic", "t-secret"], what="deny")
        out, _ = tool("rill-acls", acl + ["list", "--principal", "User:alice"], what="list")
        check(sorted(out.splitlines()) == sorted([
            "TOPIC\tt-\tPREFIXED\tUser:alice\t*\tALL\tALLOW", "GROUP\t*\tLITERAL\tUser:alice\t*\tALL\tALLOW",
            "TOPIC\tt-secret\tLITERAL\tUser:alice\t*\tREAD\tDENY",
            "TOPIC\tt-secret\tLITERAL\tUser:alice\t*\tWRITE\tDENY"]), "rill-acls list: %r" % out)
        _, err = tool("rill-acls", props(b.scram()) + ["add", "--allow", "--principal", "User:alice", "--operation",
                                                      "ALL", "--cluster"], expect_rc=3, what="acl change by alice")
        check("CLUSTER_AUTHORIZATION_FAILED" in err, "alice may not change ACLs: %r" % err)

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
        # SCRAM users through the API: create, log in, list, delete.
        users = props(admin)
        tool("rill-users", users + ["set", "carol", "-m", "SCRAM-SHA-256"], b"carol-pw\n", what="set carol")
        out, _ = tool("rill-users", users + ["list", "carol"], what="list carol")
        check(out == "carol\tSCRAM-SHA-256\t4096\n", "rill-users list: %r" % out)
        carol = b.scram(user="carol", password="carol-pw", mechanism="SCRAM-SHA-256")
        tool("rill-topics", props(carol) + ["list"], what="carol logs in")
        _, err = tool("rill-users", props(b.scram()) + ["set", "eve"], b"pw\n", expect_rc=3, what="set by alice")
        check("CLUSTER_AUTHORIZATION_FAILED" in err, "alice may not change users: %r" % err)

        # ACLs and credentials survive a restart.
        b.stop()
        b.start()
        admin, carol = b.scram(user="admin"), b.scram(user="carol", password="carol-pw", mechanism="SCRAM-SHA-256")
        tool("rill-topics", props(carol) + ["list"], what="carol after restart")
        out, _ = tool("rill-acls", props(admin) + ["list", "--principal", "User:alice"], what="list after restart")
        check(len(out.splitlines()) == 4, "ACLs after restart: %r" % out)
        _, err = tool("rill-produce", props(b.scram()) + ["-t", "t-secret"], b"x\n", expect_rc=4, what="still denied")
        tool("rill-users", props(admin) + ["delete", "carol", "-m", "SCRAM-SHA-256"], what="delete carol")
        _, err = tool("rill-topics", props(carol) + ["list"], expect_rc=3, what="carol deleted")
        check("SASL_AUTHENTICATION_FAILED" in err, "deleted user: %r" % err)
        check(USERS["alice"] not in b.log() and "carol-pw" not in b.log(), "passwords never reach the broker's log")
    print("ok")


main()
