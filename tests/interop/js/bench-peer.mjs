// js-libp2p side of lp2p's benchmarks (bench/README.md) and of the perf
// interop test.  Every line on stdout is one JSON object.
//
// Server:  bench-peer.mjs --listen MA [--security S] [--muxer M]
//   mounts /perf/1.0.0 and /echo/1.0.0 with limits raised for benchmarks
//   (no identify, no background pings, no connection limits); prints
//   {"event":"listening","addrs":[...]}; on SIGUSR2 runs the garbage
//   collector (with node --expose-gc) and prints {"event":"gc",...}.
// Client:  bench-peer.mjs --dial MA --bench NAME [options]
//   perf        --upload N --download N: one /perf/1.0.0 transfer
//   handshakes  --concurrency K --seconds S: K client nodes, each dialing a
//               new connection and closing it, in a loop
//   ping        --count N --size B: N round trips of B bytes on one echo
//               stream (RTT percentiles)
//   streams     --concurrency K --seconds S: new echo streams on one
//               connection, one B-byte message each way, then closed
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { echo } from '@libp2p/echo'
import { mplex } from '@libp2p/mplex'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { PERF_PROTOCOL, handlePerf, perfClient } from './bench-perf.mjs'
import { readStream, write } from './streams.mjs'

const ECHO_PROTOCOL = '/echo/1.0.0'
const LIMITS = { maxInboundStreams: 10000, maxOutboundStreams: 10000 }
// js muxers abort a connection on which the remote opens more than
// maxEarlyStreams (default 10) streams before js has finished setting it up
const MUXER_LIMITS = { ...LIMITS, maxEarlyStreams: 1000 }
const SECURITY = { noise: () => noise(), tls: () => tls() }
const MUXERS = {
  yamux: () => yamux(MUXER_LIMITS),
  mplex: () => mplex({ disconnectThreshold: 1e9, maxEarlyStreams: 1000 })
}

function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function fail (msg) {
  process.stderr.write(`bench-peer.mjs: ${msg}\n`)
  process.exit(2)
}

function parseSize (s) {
  const m = /^(\d+)\s*([KMG]?)(i?B)?$/i.exec(s)
  if (m == null) fail(`bad size: ${s}`)
  return Number(m[1]) * 1024 ** ' KMG'.indexOf(m[2].toUpperCase() || ' ')
}

function pick (arg, table, what) {
  return arg.split(',').map((name) => {
    const make = table[name.trim()]
    if (make == null) fail(`unknown ${what}: ${name}`)
    return make()
  })
}

async function newNode (v, listen = []) {
  return createLibp2p({
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: pick(v.security, SECURITY, 'security'),
    streamMuxers: pick(v.muxer, MUXERS, 'muxer'),
    connectionMonitor: { enabled: false },
    connectionManager: {
      maxConnections: 100000,
      maxIncomingPendingConnections: 1000,
      inboundConnectionThreshold: 1e9,
      maxParallelDials: 1000
    },
    services: { echo: echo({ ...LIMITS, timeout: 600_000 }) }
  })
}

// CPU time is counted from markCpu() (just before what is measured), so
// that Node's start-up is not charged to the benchmark.
let cpuMark = null
function markCpu () {
  cpuMark = process.cpuUsage()
}

function percentile (sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

// Resolves after n bytes arrived on the stream (its 'message' events).
function byteWaiter (stream) {
  let have = 0
  let want = 0
  let wake = null
  stream.addEventListener('message', (evt) => {
    have += evt.data.byteLength
    if (wake != null && have >= want) {
      const w = wake
      wake = null
      w()
    }
  })
  return (n) => {
    want += n
    if (have >= want) return Promise.resolve()
    return new Promise((resolve) => { wake = resolve })
  }
}

const benches = {
  async perf (v, addr) {
    const node = await newNode(v)
    try {
      const conn = await node.dial(addr)
      markCpu()
      return await perfClient(conn, parseSize(v.upload), parseSize(v.download))
    } finally {
      await node.stop()
    }
  },

  async handshakes (v, addr) {
    const k = Number(v.concurrency)
    const ms = Number(v.seconds) * 1000
    const nodes = await Promise.all(Array.from({ length: k }, () => newNode(v)))
    let done = 0
    let errors = 0
    let lastError = null
    markCpu()
    const t0 = performance.now()
    await Promise.all(nodes.map(async (node) => {
      while (performance.now() - t0 < ms) {
        try {
          const conn = await node.dial(addr, { force: true })
          done++
          await conn.close()
        } catch (err) {
          errors++
          lastError = `${err.name}: ${err.message}`
        }
      }
    }))
    const seconds = (performance.now() - t0) / 1000
    await Promise.all(nodes.map((n) => n.stop()))
    return { handshakes: done, errors, lastError, seconds, perSecond: done / seconds }
  },

  async ping (v, addr) {
    const count = Number(v.count)
    const size = parseSize(v.size)
    const node = await newNode(v)
    const conn = await node.dial(addr)
    const stream = await conn.newStream(ECHO_PROTOCOL)
    const wait = byteWaiter(stream)
    const msg = new Uint8Array(size).fill(0x70)
    const rtts = []
    for (let i = 0; i < count + 10; i++) {
      const t0 = performance.now()
      await write(stream, msg)
      await wait(size)
      if (i >= 10) rtts.push((performance.now() - t0) * 1000) // the first 10 warm up
    }
    await stream.close()
    await node.stop()
    rtts.sort((a, b) => a - b)
    return {
      pings: count,
      size,
      p50us: percentile(rtts, 0.5),
      p99us: percentile(rtts, 0.99),
      minUs: rtts[0]
    }
  },

  async streams (v, addr) {
    const k = Number(v.concurrency)
    const ms = Number(v.seconds) * 1000
    const msg = new Uint8Array(parseSize(v.size)).fill(0x73)
    const node = await newNode(v)
    const conn = await node.dial(addr)
    let done = 0
    let errors = 0
    let lastError = null
    markCpu()
    const t0 = performance.now()
    await Promise.all(Array.from({ length: k }, async () => {
      while (performance.now() - t0 < ms) {
        try {
          const stream = await conn.newStream(ECHO_PROTOCOL)
          let got = 0
          const reading = readStream(stream, (p) => { got += p.length })
          await write(stream, msg)
          await stream.close()
          await reading
          if (got !== msg.length) throw new Error(`echo returned ${got} bytes`)
          done++
        } catch (err) {
          errors++
          lastError = `${err.name}: ${err.message}`
        }
      }
    }))
    const seconds = (performance.now() - t0) / 1000
    await node.stop()
    return { streams: done, errors, lastError, seconds, perSecond: done / seconds }
  }
}

async function serve (v) {
  const node = await newNode(v, v.listen)
  await node.handle(PERF_PROTOCOL, handlePerf, LIMITS)
  emit({
    event: 'listening',
    peerId: node.peerId.toString(),
    addrs: node.getMultiaddrs().map((a) => a.toString())
  })
  process.on('SIGUSR2', () => {
    if (typeof globalThis.gc === 'function') globalThis.gc()
    emit({
      event: 'gc',
      connections: node.getConnections().length,
      ...process.memoryUsage()
    })
  })
  const stopped = Promise.withResolvers()
  process.once('SIGINT', () => stopped.resolve('SIGINT'))
  process.once('SIGTERM', () => stopped.resolve('SIGTERM'))
  const lifetime = Number(v.lifetime)
  if (lifetime > 0) setTimeout(() => stopped.resolve('lifetime'), lifetime * 1000).unref()
  const reason = await stopped.promise
  // do not wait for thousands of graceful closes
  await Promise.race([node.stop(), new Promise((resolve) => setTimeout(resolve, 2000))])
  emit({ event: 'stopped', reason })
}

async function main () {
  let v
  try {
    ({ values: v } = parseArgs({
      options: {
        listen: { type: 'string', multiple: true },
        dial: { type: 'string' },
        bench: { type: 'string' },
        upload: { type: 'string', default: '0' },
        download: { type: 'string', default: '0' },
        concurrency: { type: 'string', default: '1' },
        seconds: { type: 'string', default: '10' },
        count: { type: 'string', default: '1000' },
        size: { type: 'string', default: '32' },
        security: { type: 'string', default: 'noise' },
        muxer: { type: 'string', default: 'yamux' },
        lifetime: { type: 'string', default: '3600' }
      }
    }))
  } catch (err) {
    fail(err.message)
  }
  if ((v.listen != null) === (v.dial != null)) fail('give exactly one of --listen and --dial')
  if (v.listen != null) {
    await serve(v)
    return 0
  }
  const bench = benches[v.bench]
  if (bench == null) fail(`unknown or missing --bench: ${v.bench}`)
  try {
    const result = await bench(v, multiaddr(v.dial))
    const cpu = process.cpuUsage(cpuMark ?? undefined)
    emit({ event: 'result', bench: v.bench, ok: true, ...result, cpuSeconds: (cpu.user + cpu.system) / 1e6 })
    return 0
  } catch (err) {
    emit({ event: 'result', bench: v.bench, ok: false, error: `${err.name}: ${err.message}` })
    return 1
  }
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`bench-peer.mjs: ${err.stack ?? err}\n`)
  process.exit(2)
})
