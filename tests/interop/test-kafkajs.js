// kafkajs 2.2.4 against a real rill-broker (started by rillbroker.py, which
// passes RILL_BOOTSTRAP): admin create/list/metadata/fetchTopicOffsets/
// fetchTopicOffsetsByTimestamp; an idempotent producer (keys, a null value,
// headers, explicit timestamps) read back in per-partition order; a consumer
// group of 2 that commits, with fetchOffsets; listGroups.
// Waits on conditions with generous deadlines; no timing assertions.
'use strict'
const assert = require('assert').strict
const { Kafka, logLevel } = require('kafkajs')

const TOPIC = 'js'
const NPART = 4
const GROUP = 'js-group'
const BASE_TS = 1670000000000
const DEADLINE_MS = 60000

const kafka = new Kafka({ clientId: 'rill-interop', brokers: [process.env.RILL_BOOTSTRAP], logLevel: logLevel.NOTHING })

async function waitFor (cond, what) {
  const end = Date.now() + DEADLINE_MS
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

function records (first, n) {
  const out = []
  for (let i = first; i < first + n; i++) {
    out.push({
      partition: i % NPART,
      key: 'key-' + i,
      value: i % 10 === 0 ? null : 'value ' + i,
      headers: { i: String(i), kind: 'js' },
      timestamp: String(BASE_TS + i)
    })
  }
  return out
}

// Compares what consumers saw with what was produced, per partition, in order.
function checkRecords (got, want, what) {
  for (let p = 0; p < NPART; p++) {
    const g = got.filter(r => r.partition === p).sort((a, b) => a.seq - b.seq).map(r => r.rec)
    const w = want.filter(r => r.partition === p)
    assert.deepEqual(g, w, `${what}: partition ${p}`)
  }
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: NPART }], waitForLeaders: true }), true)
  assert.ok((await admin.listTopics()).includes(TOPIC), 'listTopics')
  const md = await admin.fetchTopicMetadata({ topics: [TOPIC] })
  assert.equal(md.topics[0].name, TOPIC)
  assert.deepEqual(md.topics[0].partitions.map(p => [p.partitionId, p.leader]).sort(), [[0, 1], [1, 1], [2, 1], [3, 1]])

  // A group of 2: each member gets partitions, together all of them.
  const got = []
  let seq = 0
  const members = []
  for (const name of ['m1', 'm2']) {
    const c = kafka.consumer({ groupId: GROUP, sessionTimeout: 10000, heartbeatInterval: 500, rebalanceTimeout: 20000 })
    await c.connect()
    await c.subscribe({ topic: TOPIC, fromBeginning: true })
    const assigned = new Set()
    c.on(c.events.GROUP_JOIN, e => {
      assigned.clear()
      for (const p of e.payload.memberAssignment[TOPIC] || []) assigned.add(p)
    })
    await c.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        got.push({
          partition,
          seq: seq++,
          member: name,
          offset: Number(message.offset),
          rec: {
            partition,
            key: message.key && message.key.toString(),
            value: message.value && message.value.toString(),
            headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, v.toString()])),
            timestamp: message.timestamp
          }
        })
        await c.commitOffsets([{ topic: TOPIC, partition, offset: String(Number(message.offset) + 1) }])
      }
    })
    members.push({ name, c, assigned })
  }
  await waitFor(() => members.every(m => m.assigned.size > 0) &&
    members.reduce((n, m) => n + m.assigned.size, 0) === NPART, 'a 2-way split')
  // Produce only once the split is stable, so ownership does not move.

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const want = records(0, 80)
  for (let p = 0; p < NPART; p++) {
    const res = await producer.send({ topic: TOPIC, acks: -1, messages: want.filter(r => r.partition === p) })
    assert.deepEqual(res.map(r => [r.partition, r.errorCode, r.baseOffset]), [[p, 0, '0']])
  }

  const offsets = await admin.fetchTopicOffsets(TOPIC)
  assert.deepEqual(offsets.map(o => [o.partition, o.low, o.high]).sort(), [[0, '0', '20'], [1, '0', '20'], [2, '0', '20'], [3, '0', '20']])
  // Record i is in partition i % 4 at offset i / 4 (timestamp BASE_TS + i).
  const byTs = await admin.fetchTopicOffsetsByTimestamp(TOPIC, BASE_TS + 42)
  assert.deepEqual(byTs.map(o => [o.partition, o.offset]).sort(), [[0, '11'], [1, '11'], [2, '10'], [3, '10']])

  await waitFor(() => got.length >= want.length, 'all records through the group')
  checkRecords(got, want, 'group of 2')
  for (const r of got) {
    const owner = members.find(m => m.assigned.has(r.partition))
    assert.equal(r.member, owner.name, `partition ${r.partition} read by its owner`)
  }
  for (let p = 0; p < NPART; p++) {
    const offs = got.filter(r => r.partition === p).sort((a, b) => a.seq - b.seq).map(r => r.offset)
    assert.deepEqual(offs, [...Array(20).keys()], `partition ${p} offsets in order`)
  }

  const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] })
  assert.deepEqual(committed[0].partitions.map(p => [p.partition, p.offset]).sort(), [[0, '20'], [1, '20'], [2, '20'], [3, '20']])
  const groups = await admin.listGroups()
  assert.ok(groups.groups.some(g => g.groupId === GROUP && g.protocolType === 'consumer'), 'listGroups: ' + JSON.stringify(groups))
  const desc = await admin.describeGroups([GROUP])
  assert.equal(desc.groups[0].state, 'Stable')
  assert.deepEqual(desc.groups[0].members.map(m => m.clientId).sort(), ['rill-interop', 'rill-interop'])

  for (const m of members) await m.c.disconnect()
  await producer.disconnect()
  await admin.disconnect()
  console.log('OK')
}

main().catch(e => {
  console.error('FAIL:', e)
  process.exit(1)
})
