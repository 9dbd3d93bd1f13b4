// The libp2p perf protocol (/perf/1.0.0, libp2p/specs perf/perf.md) on
// js-libp2p 3.x, written here because @libp2p/perf is not available from
// the registry this project uses.
//
// Client: send the wanted download size as an 8-byte big-endian integer,
// upload, close the write side, read the download to its end.
// Server: read the size, drain the upload to its end, send that many bytes,
// close.  Bytes sent are zeros from one shared block (nothing is allocated
// per byte sent); bytes received are only counted.
import { readStream, readU64be, u64be, write } from './streams.mjs'

export const PERF_PROTOCOL = '/perf/1.0.0'
const BLOCK = 64 * 1024
const ZEROS = new Uint8Array(BLOCK)

// Sends n zero bytes, waiting for the stream to drain when it must.
async function sendZeros (stream, n) {
  while (n > 0) {
    const len = Math.min(n, BLOCK)
    await write(stream, len === BLOCK ? ZEROS : ZEROS.subarray(0, len))
    n -= len
  }
}

// Server side: one inbound perf stream.
export async function handlePerf (stream) {
  try {
    const header = new Uint8Array(8)
    let have = 0
    let uploaded = 0
    await readStream(stream, (p) => {
      if (have < 8) {
        const n = Math.min(8 - have, p.length)
        header.set(p.subarray(0, n), have)
        have += n
        p = p.subarray(n)
      }
      uploaded += p.length
    })
    if (have < 8) throw new Error(`perf: stream ended after ${have} header bytes`)
    const n = readU64be(header)
    if (!Number.isSafeInteger(n)) throw new Error(`perf: download of ${n} bytes is too large`)
    await sendZeros(stream, n)
    await stream.close()
  } catch (err) {
    stream.abort(err)
  }
}

// Client side on an open connection: returns what lp2pd perf --json prints.
export async function perfClient (conn, upload, download) {
  const stream = await conn.newStream(PERF_PROTOCOL)
  const tOpen = performance.now()
  let tResponse = null
  let received = 0
  const reading = readStream(stream, (p) => {
    if (tResponse == null) tResponse = performance.now()
    received += p.length
  })
  await write(stream, u64be(download))
  await sendZeros(stream, upload)
  await stream.close()
  await reading
  const tEnd = performance.now()
  if (tResponse == null) tResponse = tEnd
  if (received !== download) throw new Error(`perf: downloaded ${received} of ${download} bytes`)
  const up = (tResponse - tOpen) / 1000
  const down = (tEnd - tResponse) / 1000
  const gbps = (bytes, s) => s > 0 ? +(bytes * 8 / 1e9 / s).toFixed(4) : 0
  return {
    type: 'final',
    security: conn.encryption,
    muxer: conn.multiplexer,
    uploadBytes: upload,
    uploadSeconds: up,
    uploadGbps: gbps(upload, up),
    downloadBytes: download,
    downloadSeconds: down,
    downloadGbps: gbps(download, down),
    timeSeconds: (tEnd - tOpen) / 1000
  }
}
