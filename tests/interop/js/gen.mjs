// The deterministic byte stream shared by the JS and C sides of the interop
// tests (see README.md, "Deterministic byte generator"): xorshift32 with
// shifts 13/17/5, seeded with 0x6c703270 ("lp2p"), each 32-bit state word
// emitted as 4 bytes, least significant first.

export const GEN_SEED = 0x6c703270

export class ByteGen {
  constructor (seed = GEN_SEED) {
    this.x = seed >>> 0
    this.word = 0
    this.left = 0 // unread bytes of this.word
  }

  // Fill buf with the next buf.length bytes of the stream; returns buf.
  fill (buf) {
    let { x, word, left } = this
    for (let i = 0; i < buf.length; i++) {
      if (left === 0) {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        x >>>= 0
        word = x
        left = 4
      }
      buf[i] = word & 0xff
      word >>>= 8
      left--
    }
    this.x = x
    this.word = word
    this.left = left
    return buf
  }

  next (n) {
    return this.fill(new Uint8Array(n))
  }
}

// Checks that incoming chunks equal the generator's stream, in order.
export class GenChecker {
  constructor (seed = GEN_SEED) {
    this.gen = new ByteGen(seed)
    this.offset = 0
    this.scratch = new Uint8Array(0)
  }

  // chunk: Uint8Array.  Throws at the first mismatching byte.
  check (chunk) {
    if (this.scratch.length < chunk.length) {
      this.scratch = new Uint8Array(chunk.length)
    }
    const want = this.gen.fill(this.scratch.subarray(0, chunk.length))
    if (Buffer.compare(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
      Buffer.from(want.buffer, want.byteOffset, want.length)) !== 0) {
      let i = 0
      while (chunk[i] === want[i]) i++
      throw new Error(`content mismatch at byte ${this.offset + i}`)
    }
    this.offset += chunk.length
  }
}
