// Client scenarios run by `peer.mjs --dial ADDR --test NAME`.  Each takes a
// context { node, addr, opts } and returns a details object for the result
// line, or throws to report failure.
import { createHash, timingSafeEqual } from 'node:crypto'
import { generateKeyPair, publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ByteGen, GenChecker } from './gen.mjs'
import {
  CHUNK, RESET_PROTOCOL, SINK_PROTOCOL, SOURCE_PROTOCOL, readStream, readU64be, u64be,
  write, writeGen
} from './streams.mjs'

export const ECHO_PROTOCOL = '/echo/1.0.0'
const MiB = 1024 * 1024

function rate (bytes, ms) {
  return { bytes, seconds: ms / 1000, mbps: +(bytes / 1e3 / ms).toFixed(2) }
}

// The /p2p/ peer id in addr, or null.
function addrPeerId (addr) {
  const c = addr.getComponents().find((c) => c.name === 'p2p')
  return c?.value ?? null
}

function withoutPeerId (addr) {
  return multiaddr(addr.getComponents().filter((c) => c.name !== 'p2p')
    .map((c) => `/${c.name}${c.value != null ? '/' + c.value : ''}`).join(''))
}

// Collects everything read until EOF into one Uint8Array.
async function readAll (stream) {
  const parts = []
  await readStream(stream, (p) => parts.push(p.slice()))
  return Buffer.concat(parts)
}

// One echo round trip of payload on a new stream; checks the echo.
async function echoOnce (conn, payload) {
  const stream = await conn.newStream(ECHO_PROTOCOL)
  const [got] = await Promise.all([readAll(stream), (async () => {
    await write(stream, payload)
    await stream.close()
  })()])
  if (!Buffer.from(payload).equals(got)) {
    throw new Error(`echo mismatch: sent ${payload.length} bytes, got ${got.length}`)
  }
}

// echo: size bytes of the generator stream through /echo/1.0.0, checked.
async function echo ({ node, addr, opts }) {
  const size = opts.size ?? 100 * MiB
  const conn = await node.dial(addr)
  const stream = await conn.newStream(ECHO_PROTOCOL)
  const checker = new GenChecker()
  const t0 = performance.now()
  await Promise.all([
    readStream(stream, (p) => checker.check(p)),
    writeGen(stream, new ByteGen(), size).then(() => stream.close())
  ])
  if (checker.offset !== size) {
    throw new Error(`echo returned ${checker.offset} of ${size} bytes`)
  }
  return rate(size, performance.now() - t0)
}

// streams: count concurrent echo streams, each with its own payload.
async function streams ({ node, addr, opts }) {
  const count = opts.count ?? 500
  const conn = await node.dial(addr)
  const t0 = performance.now()
  await Promise.all(Array.from({ length: count }, (_, i) =>
    echoOnce(conn, new TextEncoder().encode(`lp2p interop stream ${i} of ${count}`))))
  return { streams: count, seconds: (performance.now() - t0) / 1000 }
}

// half-close: write, close our write side, then keep reading the echo to
// its end.
async function halfClose ({ node, addr, opts }) {
  const size = opts.size ?? MiB
  const conn = await node.dial(addr)
  const stream = await conn.newStream(ECHO_PROTOCOL)
  const checker = new GenChecker()
  const reading = readStream(stream, (p) => checker.check(p))
  await writeGen(stream, new ByteGen(), size)
  await stream.close()
  if (stream.writeStatus !== 'closed') {
    throw new Error(`write side is ${stream.writeStatus} after close`)
  }
  const readAtClose = checker.offset
  await reading
  if (checker.offset !== size) {
    throw new Error(`read ${checker.offset} of ${size} bytes after half-close`)
  }
  return { bytes: size, readAfterClose: size - readAtClose }
}

// reset: reset an echo stream mid-way, then show the connection still
// carries a new stream.
async function reset ({ node, addr }) {
  const conn = await node.dial(addr)
  const stream = await conn.newStream(ECHO_PROTOCOL)
  // wait for some echo so the remote has surely opened its end
  const first = new Promise((resolve, reject) => {
    readStream(stream, resolve).catch(reject)
  })
  await write(stream, new ByteGen().next(1024))
  await first
  stream.abort(new Error('interop test reset'))
  if (stream.status !== 'aborted') throw new Error(`stream status ${stream.status} after reset`)
  await echoOnce(conn, new ByteGen(7).next(4096))
  if (conn.status !== 'open') throw new Error(`connection ${conn.status} after reset`)
  return { connectionStatus: conn.status }
}

// remote-reset: the remote resets a stream (/lp2p-test/reset/1.0.0); we must
// see the reset, and the connection must still carry a new stream.
async function remoteReset ({ node, addr }) {
  const conn = await node.dial(addr)
  const stream = await conn.newStream(RESET_PROTOCOL)
  const reading = readStream(stream, () => {})
  await write(stream, new Uint8Array([1]))
  try {
    await reading
  } catch (err) {
    if (stream.status !== 'reset') throw new Error(`stream ${stream.status} (${err.message}), want reset`)
    await echoOnce(conn, new ByteGen(7).next(4096))
    return { streamError: `${err.name}: ${err.message}`, connectionStatus: conn.status }
  }
  throw new Error('stream ended without a reset')
}

// unsupported: the remote must refuse a protocol it does not speak
// (multistream-select "na"), and the connection must still carry a new
// stream.
const UNSUPPORTED_PROTOCOL = '/lp2p-test/unsupported/1.0.0'
async function unsupported ({ node, addr }) {
  const conn = await node.dial(addr)
  let refusal
  try {
    const stream = await conn.newStream(UNSUPPORTED_PROTOCOL)
    stream.abort(new Error('accepted'))
  } catch (err) {
    if (err.name !== 'UnsupportedProtocolError') throw err
    refusal = `${err.name}: ${err.message}`
  }
  if (refusal == null) throw new Error(`the remote accepted ${UNSUPPORTED_PROTOCOL}`)
  await echoOnce(conn, new ByteGen(7).next(4096))
  if (conn.status !== 'open') throw new Error(`connection ${conn.status} after the refusal`)
  return { refusal, connectionStatus: conn.status }
}

// peer-id: dial and report the remote peer id; it must match the /p2p/
// component of the address if there is one.
async function peerId ({ node, addr }) {
  const expected = addrPeerId(addr)
  const conn = await node.dial(addr)
  const seen = conn.remotePeer.toString()
  if (expected != null && expected !== seen) {
    throw new Error(`dialled ${expected}, connected to ${seen}`)
  }
  return { expected, seen, encryption: conn.encryption, multiplexer: conn.multiplexer }
}

// wrong-peer-id: the address works, but dialling it with another peer's id
// must be refused.
async function wrongPeerId ({ node, addr }) {
  const plain = withoutPeerId(addr)
  const real = await node.dial(plain)
  const realId = real.remotePeer.toString()
  await node.hangUp(real.remotePeer)
  const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const bad = plain.encapsulate(`/p2p/${other}`)
  try {
    const conn = await node.dial(bad)
    throw Object.assign(new Error(`dial as ${other} reached ${conn.remotePeer}`),
      { dialSucceeded: true })
  } catch (err) {
    if (err.dialSucceeded) throw err
    return { realPeerId: realId, dialedAs: other, refusal: `${err.name}: ${err.message}` }
  }
}

// ping: count pings over one connection.
async function ping ({ node, addr, opts }) {
  const count = opts.count ?? 10
  const conn = await node.dial(addr)
  const rtts = []
  for (let i = 0; i < count; i++) {
    rtts.push(await node.services.ping.ping(conn.remotePeer))
  }
  const avg = rtts.reduce((a, b) => a + b, 0) / count
  return { count, rtts, min: Math.min(...rtts), max: Math.max(...rtts), avg }
}

// identify: report what the identify exchange that js-libp2p runs on every
// new connection learned (an explicit second exchange could be refused by a
// peer that allows one identify stream per connection).  If that has not
// finished within 10 s, run one explicitly to get its error.
async function identify ({ node, addr }) {
  const results = []
  let wake = () => {}
  node.addEventListener('peer:identify', (e) => {
    results.push(e.detail)
    wake()
  })
  const conn = await node.dial(addr)
  const deadline = Date.now() + 10_000
  let r
  while ((r = results.find((x) => x.connection === conn)) == null && Date.now() < deadline) {
    await new Promise((resolve) => {
      wake = resolve
      setTimeout(resolve, 100)
    })
  }
  r ??= await node.services.identify.identify(conn)
  let publicKeyType = null
  if (r.publicKey != null) {
    const key = publicKeyFromProtobuf(r.publicKey)
    publicKeyType = key.type
    if (!peerIdFromPublicKey(key).equals(conn.remotePeer)) {
      throw new Error('identify public key does not match the remote peer id')
    }
  }
  return {
    peerId: r.peerId.toString(),
    agentVersion: r.agentVersion ?? null,
    protocolVersion: r.protocolVersion ?? null,
    protocols: r.protocols,
    listenAddrs: r.listenAddrs.map((a) => a.toString()),
    observedAddr: r.observedAddr?.toString() ?? null,
    publicKeyType,
    signedPeerRecord: r.signedPeerRecord != null
  }
}

// sink: send size generator bytes to /lp2p-test/sink/1.0.0 and check the
// count + SHA-256 it replies with.
async function sink ({ node, addr, opts }) {
  const size = opts.size ?? 100 * MiB
  const conn = await node.dial(addr)
  const stream = await conn.newStream(SINK_PROTOCOL)
  const gen = new ByteGen()
  const hash = createHash('sha256')
  const t0 = performance.now()
  const [reply] = await Promise.all([readAll(stream), (async () => {
    for (let left = size; left > 0; left -= CHUNK) {
      const chunk = gen.next(Math.min(left, CHUNK))
      hash.update(chunk)
      await write(stream, chunk)
    }
    await stream.close()
  })()])
  const ms = performance.now() - t0
  if (reply.length !== 40) throw new Error(`sink replied ${reply.length} bytes, want 40`)
  const count = readU64be(reply)
  if (count !== size) throw new Error(`sink counted ${count} of ${size} bytes`)
  if (!timingSafeEqual(reply.subarray(8), hash.digest())) throw new Error('sink SHA-256 mismatch')
  return rate(size, ms)
}

// source: ask /lp2p-test/source/1.0.0 for size bytes and check them.
async function source ({ node, addr, opts }) {
  const size = opts.size ?? 100 * MiB
  const conn = await node.dial(addr)
  const stream = await conn.newStream(SOURCE_PROTOCOL)
  const checker = new GenChecker()
  const t0 = performance.now()
  await Promise.all([
    readStream(stream, (p) => checker.check(p)),
    write(stream, u64be(size)).then(() => stream.close())
  ])
  if (checker.offset !== size) throw new Error(`source sent ${checker.offset} of ${size} bytes`)
  return rate(size, performance.now() - t0)
}

export const scenarios = {
  echo,
  streams,
  'half-close': halfClose,
  reset,
  'remote-reset': remoteReset,
  'peer-id': peerId,
  'wrong-peer-id': wrongPeerId,
  ping,
  identify,
  sink,
  source,
  unsupported
}
