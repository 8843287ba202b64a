"""secbroker.py — a rill-broker with every security feature on, for the
security interop tests.

Certificates are made per run with the openssl CLI (EC P-256: quick): a CA,
the broker's certificate for localhost/127.0.0.1, a client certificate
(CN=alice,O=rill) and a second CA with a client certificate the broker must
refuse. The broker listens on PLAINTEXT, SASL_SSL, SSL (client certificates
required) and SASL_PLAINTEXT listeners, all on 127.0.0.1 port 0, with users
alice, bob and admin (a super user) bootstrapped from a file (passwords
USER-secret). ACLs start empty, so with allow.everyone.if.no.acl.found
defaulting to false only admin may do anything until rules are added;
standard_acls() gives alice and the client certificate everything on topics
and groups, and lets bob only see the topic "locked": every client's
denial scenarios run as bob against it.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile

from rillbroker import DEADLINE, binary_dir, check, wait_until

USERS = {"alice": "alice-secret", "admin": "admin-secret", "bob": "bob-secret"}
MTLS_PRINCIPAL = "User:CN=alice,O=rill"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d):
    def key(name):
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".key", cwd=d)

    def ca(name):
        key(name)
        openssl("req", "-x509", "-new", "-key", name + ".key", "-out", name + ".pem", "-days", "2", "-subj",
                "/CN=" + name, cwd=d)

    def cert(name, subj, signer, ext=None):
        key(name)
        openssl("req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", subj, cwd=d)
        args = ["x509", "-req", "-in", name + ".csr", "-CA", signer + ".pem", "-CAkey", signer + ".key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2"]
        if ext:
            with open(os.path.join(d, name + ".ext"), "w") as f:
                f.write(ext)
            args += ["-extfile", name + ".ext"]
        openssl(*args, cwd=d)

    ca("ca")
    ca("rogue-ca")
    cert("broker", "/CN=localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    cert("client", "/O=rill/CN=alice", "ca")
    cert("rogue", "/O=rill/CN=alice", "rogue-ca")


class SecureBroker:
    LISTENERS = ("PLAINTEXT", "SASL_SSL", "SSL", "SASL_PLAINTEXT")

    def __init__(self, settings=()):
        self.top = tempfile.mkdtemp(prefix="rill-security-")
        self.certs = os.path.join(self.top, "certs")
        os.mkdir(self.certs)
        make_certs(self.certs)
        self.data_dir = os.path.join(self.top, "data")
        self.users_file = os.path.join(self.top, "users")
        with open(self.users_file, "w") as f:
            for u, p in USERS.items():
                f.write("%s:%s\n" % (u, p))
        self.settings = [
            "listeners=" + ",".join("%s://127.0.0.1:0" % name for name in self.LISTENERS),
            "ssl.keystore.location=" + self.cert("broker.pem"),
            "ssl.key.location=" + self.cert("broker.key"),
            "ssl.truststore.location=" + self.cert("ca.pem"),
            "ssl.client.auth=required",
            "rill.sasl.users.file=" + self.users_file,
            "super.users=User:admin",
            "group.initial.rebalance.delay.ms=0",
        ] + list(settings)
        self.proc = None
        self.ports = {}
        self.restarts = 0

    def cert(self, name):
        return os.path.join(self.certs, name)

    def start(self):
        self.events = os.path.join(self.top, "events-%d.log" % self.restarts)
        self.restarts += 1
        argv = [os.path.join(binary_dir(), "tools", "rill-broker"), "--data-dir", self.data_dir]
        for s in self.settings:
            argv += ["--set", s]
        with open(self.events, "wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)

        def listening():
            check(self.proc.poll() is None, "rill-broker exited %s: %s" % (self.proc.returncode, self.log()))
            found = dict((m[1], int(m[0])) for m in re.findall(r"event=listening .*?port=(\d+) .*?listener=(\S+)",
                                                                 self.log()))
            return found if len(found) == len(self.LISTENERS) else None
        self.ports = wait_until(listening, "rill-broker to listen")
        return self

    def bootstrap(self, listener):
        return "127.0.0.1:%d" % self.ports[listener]

    def log(self):
        with open(self.events, errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(DEADLINE)
        check(rc == 0, "rill-broker exit status %d after SIGTERM: %s" % (rc, self.log()[-3000:]))

    def __enter__(self):
        return self.start()

    def __exit__(self, etype, *rest):
        if self.proc and self.proc.poll() is None:
            if etype is None:
                self.stop()
            else:
                self.proc.kill()
                self.proc.wait()
        if etype is None:
            shutil.rmtree(self.top, ignore_errors=True)
        else:
            print("broker log kept in", self.top, flush=True)

    # librdkafka-style property sets for each way in.
    def scram(self, user="alice", password=None, mechanism="SCRAM-SHA-512"):
        return {"bootstrap.servers": self.bootstrap("SASL_SSL"), "security.protocol": "SASL_SSL",
                "sasl.mechanism": mechanism, "sasl.username": user,
                "sasl.password": USERS.get(user, "x") if password is None else password,
                "ssl.ca.location": self.cert("ca.pem")}

    def mtls(self, cert="client"):
        return {"bootstrap.servers": self.bootstrap("SSL"), "security.protocol": "SSL",
                "ssl.ca.location": self.cert("ca.pem"), "ssl.certificate.location": self.cert(cert + ".pem"),
                "ssl.key.location": self.cert(cert + ".key")}


def kafka_python_admin(b, user="admin"):
    """kafka-python's admin client over SASL_SSL SCRAM-SHA-512 (confluent-kafka
    1.7 has no ACL API)."""
    from kafka.admin import KafkaAdminClient
    return KafkaAdminClient(bootstrap_servers=b.bootstrap("SASL_SSL"), security_protocol="SASL_SSL",
                            sasl_mechanism="SCRAM-SHA-512", sasl_plain_username=user,
                            sasl_plain_password=USERS[user], ssl_cafile=b.cert("ca.pem"),
                            ssl_check_hostname=False, request_timeout_ms=20000)


def acl(principal, resource_type, name, operations, pattern="LITERAL", permission="ALLOW"):
    """kafka-python ACL objects for @operations on one resource."""
    from kafka.admin import (ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern,
                             ResourceType)
    res = ResourcePattern(getattr(ResourceType, resource_type), name, getattr(ACLResourcePatternType, pattern))
    return [ACL(principal, "*", getattr(ACLOperation, op), getattr(ACLPermissionType, permission), res)
            for op in operations]


def standard_acls(b):
    """alice and the mTLS principal may use every topic and group; the topic
    "locked" exists (made by admin) and bob may only see it (DESCRIBE), so
    his produce and fetch reach the broker's Produce and Fetch checks (his
    group "bob-fetch" may be joined, for clients that fetch in groups only;
    "bob-join" may be found (FindCoordinator) but not joined: kafkajs
    reports a FindCoordinator denial only as "coordinator not found")."""
    from kafka.admin import NewTopic
    acls = acl("User:bob", "TOPIC", "locked", ["DESCRIBE"]) + acl("User:bob", "GROUP", "bob-fetch", ["READ"]) + \
        acl("User:bob", "GROUP", "bob-join", ["DESCRIBE"])
    for who in ("User:alice", MTLS_PRINCIPAL):
        acls += acl(who, "TOPIC", "*", ["ALL"]) + acl(who, "GROUP", "*", ["ALL"])
    admin = kafka_python_admin(b)
    admin.create_topics([NewTopic("locked", 1, 1)])
    out = admin.create_acls(acls)
    admin.close()
    check(not out["failed"], "create_acls failed: %s" % out["failed"])
