// Random multiaddrs for the cross-check corpus, in binary, with the same
// shapes as tests/interop/c/random_ma.c; and lp2p's text form of a
// multiaddr computed from @multiformats/multiaddr's components.

// Protocol codes (multicodec table).
export const CODE = {
  ip4: 0x04,
  tcp: 0x06,
  dccp: 0x21,
  ip6: 0x29,
  ip6zone: 0x2a,
  ipcidr: 0x2b,
  dns: 0x35,
  dns4: 0x36,
  dns6: 0x37,
  dnsaddr: 0x38,
  sctp: 0x84,
  udp: 0x0111,
  'webrtc-direct': 0x0118,
  webrtc: 0x0119,
  'p2p-circuit': 0x0122,
  udt: 0x012d,
  utp: 0x012e,
  unix: 0x0190,
  p2p: 0x01a5,
  https: 0x01bb,
  tls: 0x01c0,
  sni: 0x01c1,
  noise: 0x01c6,
  quic: 0x01cc,
  'quic-v1': 0x01cd,
  webtransport: 0x01d1,
  certhash: 0x01d2,
  ws: 0x01dd,
  wss: 0x01de,
  http: 0x01e0
}

// Sizes of the fixed-size values; names not listed take a length prefix,
// flags (size 0) are listed in FLAGS.
const FIXED = { ip4: 4, ip6: 16, tcp: 2, udp: 2, dccp: 2, sctp: 2, ipcidr: 1 }
const FLAGS = ['webrtc-direct', 'webrtc', 'p2p-circuit', 'udt', 'utp', 'https',
  'tls', 'noise', 'quic', 'quic-v1', 'webtransport', 'ws', 'wss', 'http']

// splitmix64, so that a corpus can be made again from its seed.
export class Rng {
  constructor (seed) {
    this.s = BigInt.asUintN(64, BigInt(seed))
  }

  next () {
    this.s = BigInt.asUintN(64, this.s + 0x9e3779b97f4a7c15n)
    let z = this.s
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n)
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn)
    return z ^ (z >> 31n)
  }

  below (n) {
    return Number(this.next() % BigInt(n))
  }

  oneIn (n) {
    return this.below(n) === 0
  }

  bytes (n) {
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = Number(this.next() & 0xffn)
    return b
  }

  pick (list) {
    return list[this.below(list.length)]
  }
}

const ODD_BITS = ['A', 'Z', '_', '%', '%41', ':', ' ', '~', '"', '\\', '@', '+',
  '\u00fc', '\u4e2d', '\u{1f600}']
const LABEL = 'abcdefghijklmnopqrstuvwxyz0123456789-'
const SEGMENT = 'abcdefghijklmnopqrstuvwxyz0123456789._-'
const utf8 = new TextEncoder()

function randomName (r) {
  const max = r.oneIn(40) ? 200 + r.below(56) : 1 + r.below(40)
  let s = ''
  const add = (t) => {
    if (utf8.encode(s + t).length <= max) s += t
  }
  const labels = 1 + r.below(4)
  for (let l = 0; l < labels; l++) {
    if (l) add('.')
    const n = 1 + r.below(12)
    for (let i = 0; i < n; i++) add(r.oneIn(30) ? r.pick(ODD_BITS) : r.pick(LABEL))
  }
  while (r.oneIn(3)) add(r.pick(LABEL))
  return utf8.encode(s === '' ? 'x' : s)
}

function randomPath (r) {
  let s = ''
  const segs = 1 + r.below(5)
  for (let i = 0; i < segs; i++) {
    s += '/'
    const n = 1 + r.below(10)
    for (let j = 0; j < n; j++) s += r.oneIn(25) ? r.pick(ODD_BITS) : r.pick(SEGMENT)
  }
  return utf8.encode(s)
}

function varint (n) {
  const out = []
  do {
    let b = n & 0x7f
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return out
}

// A multiaddr under construction: binary components.
class Builder {
  constructor () {
    this.parts = []
    this.len = 0
  }

  push (name, value = new Uint8Array(0)) {
    const code = CODE[name]
    const part = [...varint(code)]
    if (!(name in FIXED) && !FLAGS.includes(name)) part.push(...varint(value.length))
    part.push(...value)
    if (this.len + part.length > 512) return // as lp2p's limit
    this.parts.push(part)
    this.len += part.length
  }

  bytes () {
    return Uint8Array.from(this.parts.flat())
  }
}

function ip4 (r, b) {
  const special = [[0, 0, 0, 0], [127, 0, 0, 1], [255, 255, 255, 255], [10, 0, 0, 1], [192, 168, 1, 254]]
  b.push('ip4', r.oneIn(6) ? Uint8Array.from(r.pick(special)) : r.bytes(4))
}

function ip6 (r, b) {
  let a = new Uint8Array(16)
  switch (r.below(9)) {
    case 0: a = r.bytes(16); break
    case 1:
    case 2:
      for (let w = 0; w < 8; w++) {
        if (r.oneIn(2)) continue
        a[2 * w] = r.oneIn(2) ? 0 : r.below(256)
        a[2 * w + 1] = r.below(256)
      }
      break
    case 3: a[10] = a[11] = 0xff; a.set(r.bytes(4), 12); break
    case 4: a.set(r.bytes(4), 12); break
    case 5:
      a[15] = r.below(3)
      if (r.oneIn(3)) a[14] = r.below(256)
      break
    case 6: a[0] = 0xfe; a[1] = 0x80; a.set(r.bytes(8), 8); break
    case 7: a[1] = 0x64; a[2] = 0xff; a[3] = 0x9b; a.set(r.bytes(4), 12); break
    default: {
      a.set([0x20, 0x01, 0x0d, 0xb8])
      a.set(r.bytes(12), 4)
      const w = 2 + r.below(6)
      a[2 * w] = a[2 * w + 1] = 0
    }
  }
  b.push('ip6', a)
}

function port (r, b, name) {
  const special = [0, 1, 80, 443, 4001, 65535]
  const p = r.oneIn(4) ? r.pick(special) : r.below(65536)
  b.push(name, Uint8Array.from([p >> 8, p & 0xff]))
}

function peer (r, b) {
  switch (r.below(3)) {
    case 0: b.push('p2p', Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...r.bytes(32)])); break
    case 1: b.push('p2p', Uint8Array.from([0x00, 0x25, 0x08, 0x02, 0x12, 0x21, 0x02, ...r.bytes(32)])); break
    default: b.push('p2p', Uint8Array.from([0x12, 0x20, ...r.bytes(32)]))
  }
}

function certhash (r, b) {
  switch (r.below(4)) {
    case 0: {
      const n = r.below(20)
      b.push('certhash', Uint8Array.from([0x00, n, ...r.bytes(n)]))
      break
    }
    case 1: b.push('certhash', Uint8Array.from([0x13, 64, ...r.bytes(64)])); break
    default: b.push('certhash', Uint8Array.from([0x12, 32, ...r.bytes(32)]))
  }
}

function host (r, b) {
  switch (r.below(10)) {
    case 0: case 1: case 2: ip4(r, b); break
    case 3: case 4: ip6(r, b); break
    case 5: b.push('ip6zone', randomName(r)); ip6(r, b); break
    case 6: b.push('dns', randomName(r)); break
    case 7: b.push('dns4', randomName(r)); break
    case 8: b.push('dns6', randomName(r)); break
    default:
      ip4(r, b)
      if (r.oneIn(2)) b.push('ipcidr', Uint8Array.from([r.below(33)]))
  }
}

function transport (r, b) {
  host(r, b)
  if (r.oneIn(2)) {
    port(r, b, 'tcp')
    if (r.oneIn(3)) {
      b.push('tls')
      if (r.oneIn(2)) b.push('sni', randomName(r))
    }
    if (r.oneIn(2)) b.push(r.pick(['ws', 'wss', 'http', 'https', 'noise']))
  } else {
    port(r, b, 'udp')
    switch (r.below(4)) {
      case 0: b.push('quic'); break
      case 1: b.push('webrtc-direct'); certhash(r, b); break
      default:
        b.push('quic-v1')
        if (r.oneIn(2)) {
          b.push('webtransport')
          for (let n = r.below(3); n > 0; n--) certhash(r, b)
        }
    }
  }
}

function any (r, b) {
  switch (r.below(8)) {
    case 0: ip4(r, b); break
    case 1: ip6(r, b); break
    case 2: b.push(r.pick(['ip6zone', 'dns', 'dns4', 'dns6', 'dnsaddr', 'sni']), randomName(r)); break
    case 3: port(r, b, r.pick(['tcp', 'udp', 'dccp', 'sctp'])); break
    case 4: peer(r, b); break
    case 5: certhash(r, b); break
    case 6: b.push('ipcidr', Uint8Array.from([r.below(256)])); break
    default: b.push(r.pick(FLAGS))
  }
}

// The binary form of a random multiaddr (never empty).
export function randomMultiaddr (r) {
  for (;;) {
    const b = new Builder()
    switch (r.below(10)) {
      case 0:
        transport(r, b)
        peer(r, b)
        b.push('p2p-circuit')
        if (r.oneIn(3)) b.push('webrtc')
        else if (r.oneIn(2)) peer(r, b)
        break
      case 1:
        b.push('dnsaddr', randomName(r))
        if (r.oneIn(2)) peer(r, b)
        break
      case 2:
        // js-multiaddr would allow more after a unix path, lp2p (like go)
        // would not: see README.md.
        b.push('unix', randomPath(r))
        break
      case 3:
      case 4:
        for (let n = 1 + r.below(8); n > 0; n--) any(r, b)
        break
      default:
        transport(r, b)
        if (r.oneIn(2)) peer(r, b)
    }
    if (b.len > 0) return b.bytes()
  }
}

// Is the component an IPv4-mapped IPv6 address (::ffff:a.b.c.d)?
export function isIp4Mapped (component) {
  if (component.code !== CODE.ip6) return false
  const v = component.bytes.subarray(component.bytes.length - 16)
  return v.subarray(0, 10).every((x) => x === 0) && v[10] === 0xff && v[11] === 0xff
}

// lp2p's text form from JS's components: the same as JS's but for
// IPv4-mapped addresses (dotted, as go and rust print them) and unix paths
// (the raw path, running to the end, as go prints it).  Also counts them.
export function lp2pText (ma) {
  let text = ''
  let mapped = 0
  let unix = 0
  for (const c of ma.getComponents()) {
    text += `/${c.name}`
    if (c.value == null) continue
    if (c.code === CODE.unix) {
      unix++
      text += c.value
    } else if (isIp4Mapped(c)) {
      mapped++
      const v = c.bytes.subarray(c.bytes.length - 4)
      text += `/::ffff:${v.join('.')}`
    } else {
      text += `/${c.value}`
    }
  }
  return { text, mapped, unix }
}
