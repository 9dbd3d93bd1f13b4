// Stream helpers over the js-libp2p 3.x event API, and the two test
// protocols (/lp2p-test/sink/1.0.0, /lp2p-test/source/1.0.0).
import { createHash } from 'node:crypto'
import { StreamResetError } from '@libp2p/interface'
import { ByteGen } from './gen.mjs'

export const SINK_PROTOCOL = '/lp2p-test/sink/1.0.0'
export const SOURCE_PROTOCOL = '/lp2p-test/source/1.0.0'
export const RESET_PROTOCOL = '/lp2p-test/reset/1.0.0'
export const CHUNK = 64 * 1024
// Largest N the source protocol accepts (1 TiB); larger requests are reset.
export const SOURCE_MAX = 2 ** 40

// Each piece of a message (Uint8Array or Uint8ArrayList) as a Uint8Array.
export function * pieces (data) {
  if (data instanceof Uint8Array) yield data
  else yield * data
}

// Calls onData(Uint8Array) for every chunk read until the remote closes its
// write side.  Resolves then; rejects if the stream is reset or aborted, or
// if onData throws (the stream is then aborted too).
export function readStream (stream, onData) {
  return new Promise((resolve, reject) => {
    let settled = false
    const done = (err) => {
      if (settled) return
      settled = true
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('end', onEnd)
      stream.removeEventListener('close', onClose)
      if (err != null) reject(err)
      else resolve()
    }
    const onMessage = (evt) => {
      try {
        for (const p of pieces(evt.data)) onData(p)
      } catch (err) {
        stream.abort(err)
        done(err)
      }
    }
    // 'end' also fires when the stream is reset or aborted: that is no EOF
    const onEnd = () => done(stream.status === 'reset' || stream.status === 'aborted'
      ? new StreamResetError(`stream ${stream.status} before EOF`)
      : undefined)
    const onClose = (evt) => done(evt.error)
    stream.addEventListener('message', onMessage)
    stream.addEventListener('end', onEnd)
    stream.addEventListener('close', onClose)
    if (stream.readableEnded) onEnd()
  })
}

// Queues data on the stream, waiting for the muxer to drain if it must.
export async function write (stream, data) {
  if (!stream.send(data)) await stream.onDrain()
}

// Sends n bytes of the deterministic stream from gen, in CHUNK pieces.
export async function writeGen (stream, gen, n) {
  while (n > 0) {
    const len = Math.min(n, CHUNK)
    await write(stream, gen.next(len))
    n -= len
  }
}

export function u64be (n) {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}

export function readU64be (b) {
  return Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0))
}

// Sink: read everything, then reply count (8 bytes BE) + SHA-256 (32 bytes).
export async function handleSink (stream) {
  const hash = createHash('sha256')
  let count = 0
  try {
    await readStream(stream, (p) => {
      hash.update(p)
      count += p.length
    })
    await write(stream, u64be(count))
    await write(stream, hash.digest())
    await stream.close()
  } catch (err) {
    stream.abort(err)
  }
}

// Source: read an 8-byte BE N, send N generator bytes, close the write side.
// More than 8 request bytes, or N > SOURCE_MAX, resets the stream.
export async function handleSource (stream) {
  try {
    const req = new Uint8Array(8)
    let have = 0
    await new Promise((resolve, reject) => {
      readStream(stream, (p) => {
        if (have + p.length > 8) throw new Error('source: request longer than 8 bytes')
        req.set(p, have)
        have += p.length
        if (have === 8) resolve()
      }).then(() => reject(new Error(`source: short request (${have} bytes)`)), reject)
    })
    const n = readU64be(req)
    if (n > SOURCE_MAX) throw new Error(`source: N=${n} too large`)
    await writeGen(stream, new ByteGen(), n)
    await stream.close()
  } catch (err) {
    stream.abort(err)
  }
}

// Reset: reset the stream as soon as the first byte arrives, so the remote
// sees a reset it did not ask for.
export function handleReset (stream) {
  readStream(stream, () => {
    stream.abort(new Error('reset by /lp2p-test/reset/1.0.0'))
  }).catch(() => {})
}
