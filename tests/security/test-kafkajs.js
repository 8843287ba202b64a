// kafkajs 2.2.4 against rill-broker's security (started by test-kafkajs.py,
// which passes the listeners and certificate paths in the environment):
// SASL_SSL with SCRAM-SHA-512 and mTLS produce and consume; a wrong
// password, an unknown user and a certificate from another CA refused; as
// bob (who may only see the topic "locked", join the group "bob-fetch" and
// find but not join "bob-join")
// produce, fetch, joining another group and deleting the topic fail with
// Kafka's authorization errors. Waits on conditions; no timing assertions.
'use strict'
const assert = require('assert').strict
const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')

const env = process.env
const ca = [fs.readFileSync(env.SEC_CA)]
const N = 30

function client (opts) {
  return new Kafka(Object.assign({ clientId: 'rill-security', logLevel: logLevel.NOTHING, connectionTimeout: 5000,
    retry: { retries: 0 } }, opts))
}

function scram (user, password) {
  return client({ brokers: [env.SEC_SASL_SSL], ssl: { ca },
    sasl: { mechanism: 'scram-sha-512', username: user, password } })
}

function mtls (cert) {
  return client({ brokers: [env.SEC_SSL],
    ssl: { ca, cert: fs.readFileSync(env.SEC_DIR + '/' + cert + '.pem'), key: fs.readFileSync(env.SEC_DIR + '/' + cert + '.key') } })
}

async function roundtrip (kafka, topic, group) {
  const p = kafka.producer()
  await p.connect()
  const msgs = []
  for (let i = 0; i < N; i++) msgs.push({ value: topic + '-' + i })
  await p.send({ topic, messages: msgs })
  await p.disconnect()
  const c = kafka.consumer({ groupId: group })
  await c.connect()
  await c.subscribe({ topic, fromBeginning: true })
  const got = []
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(topic + ': timed out consuming')), 60000)
    c.run({ eachMessage: async ({ message }) => {
      got.push(message.value.toString())
      if (got.length === N) { clearTimeout(timer); resolve() }
    } }).catch(reject)
  })
  await c.disconnect()
  assert.deepEqual(got, msgs.map(m => m.value))
}

async function refused (kafka, what, pattern) {
  const admin = kafka.admin()
  await assert.rejects(admin.connect(), e => {
    assert.match(e.name + ' ' + e.message, pattern, what)
    return true
  }, what)
}

// The first protocol error (or nested one) kafkajs reports.
function errorType (e) {
  while (e) {
    if (e.type) return e.type
    e = e.originalError || (e.errors && e.errors[0]) || e.cause
  }
  return undefined
}

async function main () {
  await roundtrip(scram('alice', 'alice-secret'), 'js-scram', 'js-scram-g')
  await roundtrip(mtls('client'), 'js-mtls', 'js-mtls-g')
  await refused(scram('alice', 'wrong'), 'wrong password', /SASL|[Aa]uthentication/)
  await refused(scram('mallory', 'x'), 'unknown user', /SASL|[Aa]uthentication/)
  await refused(mtls('rogue'), 'certificate from another CA', /Connection|socket|SSL|TLS|closed|ECONNRESET/i)

  const bob = scram('bob', 'bob-secret')
  const p = bob.producer()
  await p.connect()
  await assert.rejects(p.send({ topic: 'locked', messages: [{ value: 'x' }] }),
    e => errorType(e) === 'TOPIC_AUTHORIZATION_FAILED' || assert.fail('denied produce: ' + e))
  await p.disconnect()

  for (const [group, want] of [['bob-fetch', 'TOPIC_AUTHORIZATION_FAILED'], ['bob-join', 'GROUP_AUTHORIZATION_FAILED']]) {
    const c = bob.consumer({ groupId: group, retry: { retries: 0 } })
    await c.connect()
    await c.subscribe({ topic: 'locked', fromBeginning: true })
    const crashed = new Promise(resolve => c.on(c.events.CRASH, ev => resolve(ev.payload.error)))
    c.run({ eachMessage: async () => {} }).catch(() => {})
    const e = await crashed
    assert.equal(errorType(e), want, group + ': ' + e)
    await c.disconnect().catch(() => {})
  }

  const admin = bob.admin()
  await admin.connect()
  await assert.rejects(admin.deleteTopics({ topics: ['locked'], timeout: 10000 }),
    e => errorType(e) === 'TOPIC_AUTHORIZATION_FAILED' || assert.fail('denied delete: ' + e))
  await admin.disconnect()
  console.log('ok')
}

main().catch(e => { console.error('FAIL:', e); process.exit(1) })
