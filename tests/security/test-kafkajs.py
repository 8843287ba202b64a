"""test-kafkajs.py — runs test-kafkajs.js (kafkajs from tests/interop's
node_modules) against a SecureBroker with the standard ACLs; the script's
exit status is the test's."""
import os
import subprocess

from rillbroker import check
from secbroker import SecureBroker, standard_acls


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    modules = os.path.join(here, "..", "interop", "node_modules")
    check(os.path.isdir(os.path.join(modules, "kafkajs")), "kafkajs is not installed (npm install in tests/interop)")
    with SecureBroker() as b:
        standard_acls(b)
        env = dict(os.environ, NODE_PATH=modules, SEC_SASL_SSL=b.bootstrap("SASL_SSL"), SEC_SSL=b.bootstrap("SSL"),
                   SEC_CA=b.cert("ca.pem"), SEC_DIR=b.certs)
        p = subprocess.run(["/usr/bin/node", os.path.join(here, "test-kafkajs.js")], env=env, timeout=100)
        check(p.returncode == 0, "test-kafkajs.js failed (%d)" % p.returncode)
    print("ok")


main()
