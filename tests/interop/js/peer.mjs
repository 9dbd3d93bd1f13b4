// A configurable js-libp2p peer for lp2p's interoperability tests.
// Server:  peer.mjs --listen /ip4/127.0.0.1/tcp/0 [options]
// Client:  peer.mjs --dial MULTIADDR --test NAME [options]
// Every line on stdout is one JSON object (see README.md).
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair, generateKeyPairFromSeed, privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { echo } from '@libp2p/echo'
import { identify, identifyPush } from '@libp2p/identify'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { scenarios } from './scenarios.mjs'
import {
  RESET_PROTOCOL, SINK_PROTOCOL, SOURCE_PROTOCOL, handleReset, handleSink, handleSource
} from './streams.mjs'

const USAGE = `usage: peer.mjs (--listen MULTIADDR | --dial MULTIADDR --test NAME) [options]
  --listen MA        listen (repeatable); print {"event":"listening",...} when ready
  --dial MA          dial MA and run the scenario named by --test
  --test NAME        ${Object.keys(scenarios).join(', ')}
  --size BYTES       transfer size for echo/half-close/sink/source (suffix K, M, G = KiB, MiB, GiB)
  --count N          number of streams (streams) or pings (ping)
  --security LIST    noise, tls or a comma list in order of preference (default noise)
  --muxer LIST       yamux, mplex or a comma list in order of preference (default yamux)
  --seed TEXT        Ed25519 identity from SHA-256(TEXT)
  --key-type TYPE    random identity of TYPE: Ed25519 (default), secp256k1, RSA
  --key-file PATH    identity from a protobuf-encoded libp2p private key
  --psk FILE         join the private network of this key file (PSK v1,
                     /key/swarm/psk/1.0.0/; @libp2p/pnet reads /base16/ only)
  --timeout SECONDS  client: fail the scenario after this long (default 300)
  --lifetime SECONDS server: exit after this long, 0 = never (default 600)
  --identify-push    also mount identify push (/ipfs/id/push/1.0.0)
  --report-identify  print {"event":"peer:identify",...} for every identify or push received
  --add-protocol-after SECONDS
                     register /lp2p-test/late-js/1.0.0 after SECONDS (print {"event":"protocol-added"})`

// Registered at run time by --add-protocol-after (for identify push tests).
const LATE_PROTOCOL = '/lp2p-test/late-js/1.0.0'

const SECURITY = { noise: () => noise(), tls: () => tls() }
// js mplex closes a connection whose peer opens more than disconnectThreshold
// streams a second (default 5); the streams and ping scenarios open hundreds.
const STREAM_LIMITS = { maxInboundStreams: 4096, maxOutboundStreams: 4096 }
const MUXERS = {
  yamux: () => yamux(STREAM_LIMITS),
  mplex: () => mplex({ disconnectThreshold: 100_000 })
}

function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function fail (msg) {
  process.stderr.write(`peer.mjs: ${msg}\n${USAGE}\n`)
  process.exit(2)
}

function parseSize (s) {
  const m = /^(\d+)\s*([KMG]?)(i?B)?$/i.exec(s)
  if (m == null) fail(`bad size: ${s}`)
  return Number(m[1]) * 1024 ** ' KMG'.indexOf(m[2].toUpperCase() || ' ')
}

function parseCount (s) {
  if (!/^\d+$/.test(s)) fail(`bad count: ${s}`)
  return Number(s)
}

function pickList (arg, table, what) {
  return arg.split(',').map((name) => {
    const make = table[name.trim()]
    if (make == null) fail(`unknown ${what}: ${name}`)
    return make()
  })
}

async function loadKey (v) {
  if (v['key-file'] != null) return privateKeyFromProtobuf(await readFile(v['key-file']))
  if (v.seed != null) {
    return generateKeyPairFromSeed('Ed25519', createHash('sha256').update(v.seed).digest())
  }
  const type = v['key-type'] ?? 'Ed25519'
  const canonical = ['Ed25519', 'secp256k1', 'RSA'].find((t) => t.toLowerCase() === type.toLowerCase())
  if (canonical == null) fail(`unknown key type: ${type}`)
  return generateKeyPair(canonical)
}

function connectionInfo (conn) {
  return {
    peerId: conn.remotePeer.toString(),
    remoteAddr: conn.remoteAddr.toString(),
    direction: conn.direction,
    encryption: conn.encryption,
    multiplexer: conn.multiplexer
  }
}

async function main () {
  let v
  try {
    ({ values: v } = parseArgs({
      options: {
        listen: { type: 'string', multiple: true },
        dial: { type: 'string' },
        test: { type: 'string' },
        size: { type: 'string' },
        count: { type: 'string' },
        security: { type: 'string', default: 'noise' },
        muxer: { type: 'string', default: 'yamux' },
        seed: { type: 'string' },
        'key-type': { type: 'string' },
        'key-file': { type: 'string' },
        psk: { type: 'string' },
        timeout: { type: 'string', default: '300' },
        lifetime: { type: 'string', default: '600' },
        'identify-push': { type: 'boolean' },
        'report-identify': { type: 'boolean' },
        'add-protocol-after': { type: 'string' },
        help: { type: 'boolean' }
      }
    }))
  } catch (err) {
    fail(err.message)
  }
  if (v.help) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  const client = v.dial != null
  if (client === (v.listen != null)) fail('give exactly one of --listen and --dial')
  if (client && scenarios[v.test] == null) fail(`unknown or missing --test: ${v.test}`)
  const opts = {}
  if (v.size != null) opts.size = parseSize(v.size)
  if (v.count != null) opts.count = parseCount(v.count)

  let psk
  if (v.psk != null) {
    try {
      psk = await readFile(v.psk)
    } catch (err) {
      fail(`--psk: ${err.message}`)
    }
  }
  const node = await createLibp2p({
    privateKey: await loadKey(v),
    ...(psk != null ? { connectionProtector: preSharedKey({ psk }) } : {}),
    addresses: { listen: v.listen ?? [] },
    transports: [tcp()],
    connectionEncrypters: pickList(v.security, SECURITY, 'security'),
    streamMuxers: pickList(v.muxer, MUXERS, 'muxer'),
    // no background pings: a test must only see the traffic it asks for
    connectionMonitor: { enabled: false },
    connectionManager: { inboundConnectionThreshold: 10000 },
    services: {
      echo: echo({ ...STREAM_LIMITS, timeout: 600_000 }),
      ping: ping(),
      identify: identify(),
      ...(v['identify-push'] ? { identifyPush: identifyPush() } : {})
    }
  })
  await node.handle(SINK_PROTOCOL, handleSink, STREAM_LIMITS)
  await node.handle(SOURCE_PROTOCOL, handleSource, STREAM_LIMITS)
  await node.handle(RESET_PROTOCOL, handleReset, STREAM_LIMITS)

  if (v['report-identify']) {
    node.addEventListener('peer:identify', (e) => emit({
      event: 'peer:identify',
      peerId: e.detail.peerId.toString(),
      agentVersion: e.detail.agentVersion ?? null,
      protocols: e.detail.protocols,
      listenAddrs: e.detail.listenAddrs.map((a) => a.toString()),
      signedPeerRecord: e.detail.signedPeerRecord != null
    }))
  }
  if (v['add-protocol-after'] != null) {
    setTimeout(() => {
      node.handle(LATE_PROTOCOL, (stream) => stream.close(), STREAM_LIMITS)
        .then(() => emit({ event: 'protocol-added', protocol: LATE_PROTOCOL }))
    }, Number(v['add-protocol-after']) * 1000).unref()
  }

  if (client) return runClient(node, v, opts)
  return runServer(node, v)
}

async function runClient (node, v, opts) {
  const test = v.test
  let timer
  try {
    const timeout = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${v.timeout} s`)),
        Number(v.timeout) * 1000)
    })
    const details = await Promise.race([
      scenarios[test]({ node, addr: multiaddr(v.dial), opts }),
      timeout
    ])
    emit({ event: 'result', test, ok: true, localPeerId: node.peerId.toString(), ...details })
    return 0
  } catch (err) {
    emit({
      event: 'result',
      test,
      ok: false,
      localPeerId: node.peerId.toString(),
      error: `${err.name}: ${err.message}`
    })
    return 1
  } finally {
    clearTimeout(timer)
    // a peer that never finishes closing must not keep us from exiting
    await Promise.race([node.stop().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 5000))])
  }
}

async function runServer (node, v) {
  node.addEventListener('connection:open', (e) =>
    emit({ event: 'connection:open', ...connectionInfo(e.detail) }))
  node.addEventListener('connection:close', (e) =>
    emit({ event: 'connection:close', ...connectionInfo(e.detail) }))
  emit({
    event: 'listening',
    peerId: node.peerId.toString(),
    addrs: node.getMultiaddrs().map((a) => a.toString())
  })
  const stopped = Promise.withResolvers()
  process.once('SIGINT', () => stopped.resolve('SIGINT'))
  process.once('SIGTERM', () => stopped.resolve('SIGTERM'))
  const lifetime = Number(v.lifetime)
  if (lifetime > 0) setTimeout(() => stopped.resolve('lifetime'), lifetime * 1000).unref()
  const reason = await stopped.promise
  await node.stop()
  emit({ event: 'stopped', reason })
  return 0
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`peer.mjs: ${err.stack ?? err}\n`)
  process.exit(2)
})
