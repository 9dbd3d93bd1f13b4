// Cross-check of lp2p's keys, signatures, peer ids and multiaddrs against
// @libp2p/crypto, @libp2p/peer-id and @multiformats/multiaddr: the JS half
// of tests/interop/xcheck.sh (the C half is tests/interop/c/xcheck.c).
//
//   xcheck.mjs gen N [SEED]   write a JS-made corpus to stdout
//   xcheck.mjs verify FILE    check a corpus made by lp2p (xcheck gen)
//
// The corpus is JSON lines of flat objects with string fields; see
// README.md for the fields and for the known js-libp2p divergences that
// the checks allow for (and count).
import { createPublicKey } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import {
  generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf, publicKeyFromProtobuf, publicKeyToProtobuf
} from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { Rng, isIp4Mapped, lp2pText, randomMultiaddr } from './xcheck-ma.mjs'

const KEY_KINDS = [
  { type: 'Ed25519', name: 'ed25519', perMille: 1000 },
  { type: 'secp256k1', name: 'secp256k1', perMille: 1000 },
  { type: 'ECDSA', name: 'ecdsa', curve: 'P-256', perMille: 1000 },
  { type: 'ECDSA', name: 'ecdsa', curve: 'P-384', perMille: 250 },
  { type: 'ECDSA', name: 'ecdsa', curve: 'P-521', perMille: 250 },
  { type: 'RSA', name: 'rsa', bits: 2048, perMille: 125 }
]
const MULTIADDRS_PER_N = 25
const FIELD_LEN = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }

const toHex = (b) => Buffer.from(b).toString('hex')
const fromHex = (s) => {
  if (typeof s !== 'string' || !/^([0-9a-f]{2})*$/i.test(s)) throw new Error('not hex')
  return new Uint8Array(Buffer.from(s, 'hex'))
}
const b64url = (s) => new Uint8Array(Buffer.from(s, 'base64url'))
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])
const line = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

// verify() returns a boolean or a promise of one, and may throw.
async function verifies (publicKey, msg, sig) {
  try {
    return await publicKey.verify(msg, sig)
  } catch {
    return false
  }
}

function ecdsaPoint (publicKey) {
  const { x, y } = publicKey.jwk
  return Uint8Array.from([4, ...b64url(x), ...b64url(y)])
}

// ---- gen ----

function randomMessage (r) {
  if (r.oneIn(8)) return new Uint8Array(0)
  if (r.oneIn(10)) return r.bytes(1000 + r.below(8192 - 1000))
  return r.bytes(r.below(300))
}

async function genKey (r, kind) {
  const key = await generateKeyPair(kind.type, kind.curve ?? kind.bits)
  const msg = randomMessage(r)
  const sig = await key.sign(msg)
  const rec = { kind: 'key', type: kind.name }
  if (kind.curve != null) {
    rec.curve = kind.curve
    rec.point = toHex(ecdsaPoint(key.publicKey))
  }
  rec.pub = toHex(publicKeyToProtobuf(key.publicKey))
  rec.priv = toHex(privateKeyToProtobuf(key))
  rec.msg = toHex(msg)
  rec.sig = toHex(sig)
  if (kind.type !== 'ECDSA') { // js-libp2p makes no peer ids from ECDSA keys
    const id = peerIdFromPublicKey(key.publicKey)
    rec.id = id.toString()
    rec.cid = id.toCID().toString()
  }
  line(rec)
}

async function gen (n, seed) {
  const r = new Rng(seed)
  process.stderr.write(`xcheck.mjs gen: seed ${seed}\n`)
  for (const kind of KEY_KINDS) {
    const count = Math.ceil(n * kind.perMille / 1000)
    for (let i = 0; i < count; i++) await genKey(r, kind)
  }
  for (let i = 0; i < n * MULTIADDRS_PER_N; i++) {
    const ma = multiaddr(randomMultiaddr(r))
    line({ kind: 'ma', hex: toHex(ma.bytes), str: ma.toString() })
  }
}

// ---- verify ----

class Verifier {
  constructor (file) {
    this.file = file
    this.line = 0
    this.mismatches = 0
    this.keys = 0
    this.multiaddrs = 0
    this.quirks = { ecdsaPub: 0, ecdsaSig: 0, ip6Mapped: 0, unix: 0 }
  }

  fail (msg) {
    console.log(`MISMATCH ${this.file}:${this.line}: ${msg}`)
    this.mismatches++
  }

  async key (rec) {
    this.keys++
    const type = rec.type
    const pub = fromHex(rec.pub)
    const privBytes = fromHex(rec.priv)
    const msg = fromHex(rec.msg)
    let sig = fromHex(rec.sig)

    // The private key reads and writes back the same bytes.
    const priv = privateKeyFromProtobuf(privBytes)
    if (!equal(privateKeyToProtobuf(priv), privBytes)) this.fail(`${type} private key marshals back differently`)
    // JS takes any CRT values (and OpenSSL signs right even with bad ones):
    // check them here.
    if (type === 'rsa' && !rsaConsistent(priv.jwk)) this.fail('RSA private key: inconsistent CRT values')

    // The public key: js-libp2p reads ECDSA keys in its own DER layout,
    // not lp2p's (and the spec's) SubjectPublicKeyInfo; there Node's own
    // crypto reads the SPKI so that the points can be compared.
    let publicKey = null
    if (type === 'ecdsa') {
      try {
        publicKey = publicKeyFromProtobuf(pub)
      } catch {
        this.quirks.ecdsaPub++
      }
      const point = fromHex(rec.point)
      if (!equal(ecdsaPoint(priv.publicKey), point)) this.fail('ECDSA private key gives another point')
      const jwk = createPublicKey({ key: Buffer.from(pub.subarray(pub.length - spkiLength(pub))), format: 'der', type: 'spki' })
        .export({ format: 'jwk' })
      if (!equal(Uint8Array.from([4, ...b64url(jwk.x), ...b64url(jwk.y)]), point)) this.fail('ECDSA public key (SPKI) holds another point')
      if (publicKey != null && !equal(ecdsaPoint(publicKey), point)) this.fail('ECDSA public key reads as another point')
      publicKey = priv.publicKey
    } else {
      publicKey = publicKeyFromProtobuf(pub)
      if (!equal(publicKeyToProtobuf(publicKey), pub)) this.fail(`${type} public key marshals back differently`)
      if (!publicKey.equals(priv.publicKey)) this.fail(`${type} private key gives another public key`)
    }

    // The signature verifies, a tampered one does not.  WebCrypto wants
    // ECDSA signatures as P1363 r||s, not the spec's DER.
    if (type === 'ecdsa') {
      this.quirks.ecdsaSig++
      if (await verifies(publicKey, msg, sig)) this.fail('ECDSA: js-libp2p now takes DER signatures (drop the conversion)')
      sig = derToP1363(sig, FIELD_LEN[rec.curve])
    }
    if (!(await publicKey.verify(msg, sig))) {
      this.fail(`${type} signature does not verify`)
    } else {
      const badSig = Uint8Array.from(sig)
      badSig[badSig.length >> 1] ^= 0x10
      if (await verifies(publicKey, msg, badSig)) this.fail(`${type}: a tampered signature verifies`)
      const badMsg = msg.length > 0 ? Uint8Array.from(msg) : new Uint8Array(1)
      if (msg.length > 0) badMsg[msg.length >> 1] ^= 0x01
      if (await verifies(publicKey, badMsg, sig)) this.fail(`${type}: the signature verifies a changed message`)
    }

    // The private key signs: Ed25519 and RSA PKCS#1 v1.5 signatures are
    // deterministic, so JS must make lp2p's very bytes.
    const mine = await priv.sign(msg)
    if (!(await verifies(publicKey, msg, mine))) this.fail(`${type}: JS's signature with the private key does not verify`)
    if ((type === 'ed25519' || type === 'rsa') && !equal(mine, fromHex(rec.sig))) this.fail(`${type}: JS signs the message with other bytes than lp2p`)

    // Peer ids: the same strings from the key, and both strings parse.
    if (type !== 'ecdsa') {
      const id = peerIdFromPublicKey(publicKey)
      if (id.toString() !== rec.id) this.fail(`${type} peer id ${rec.id}, JS ${id.toString()}`)
      if (id.toCID().toString() !== rec.cid) this.fail(`${type} CID peer id ${rec.cid}, JS ${id.toCID().toString()}`)
    }
    const parsed = peerIdFromString(rec.id)
    if (parsed.toString() !== rec.id) this.fail(`peer id ${rec.id} prints as ${parsed.toString()}`)
    if (parsed.toCID().toString() !== rec.cid) this.fail(`peer id ${rec.id} has CID ${parsed.toCID().toString()}, lp2p ${rec.cid}`)
    if (peerIdFromString(rec.cid).toString() !== rec.id) this.fail(`CID ${rec.cid} is not peer id ${rec.id}`)
    if ((type === 'ed25519' || type === 'secp256k1') && !parsed.publicKey?.equals(publicKey)) this.fail(`${type}: the key inlined in ${rec.id} differs`)
  }

  multiaddr (rec) {
    this.multiaddrs++
    const bytes = fromHex(rec.hex)
    let ma
    try {
      ma = multiaddr(bytes)
    } catch (err) {
      this.fail(`JS refuses the bytes of ${rec.str}: ${err.message}`)
      return
    }
    const { text, mapped, unix } = lp2pText(ma)
    if (text !== rec.str) this.fail(`bytes ${rec.hex} print as ${text} (JS ${ma.toString()}), lp2p ${rec.str}`)
    if (!equal(ma.bytes, bytes)) this.fail(`bytes ${rec.hex} come back as ${toHex(ma.bytes)}`)
    if (mapped) this.quirks.ip6Mapped++
    if (unix) {
      // js-multiaddr cannot read lp2p's (go's) unix text: checked above
      // through the components only.
      this.quirks.unix++
      return
    }
    try {
      const back = multiaddr(rec.str)
      if (!equal(back.bytes, bytes)) this.fail(`${rec.str} parses to ${toHex(back.bytes)}, lp2p ${rec.hex}`)
    } catch (err) {
      this.fail(`JS cannot parse ${rec.str}: ${err.message}`)
    }
  }
}

// n = pq, d inverts e mod lcm(p-1, q-1), and dp, dq, qi are d mod (p-1),
// d mod (q-1), q^-1 mod p.
function rsaConsistent (jwk) {
  const big = (s) => BigInt('0x' + (Buffer.from(s ?? '', 'base64url').toString('hex') || '0'))
  const [n, e, d, p, q, dp, dq, qi] = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'].map((k) => big(jwk[k]))
  const gcd = (a, b) => b === 0n ? a : gcd(b, a % b)
  if (p < 2n || q < 2n) return false
  const lcm = (p - 1n) * (q - 1n) / gcd(p - 1n, q - 1n)
  return p * q === n && (e * d - 1n) % lcm === 0n && d % (p - 1n) === dp &&
    d % (q - 1n) === dq && (qi * q) % p === 1n
}

// Length of the SubjectPublicKeyInfo at the end of an ECDSA PublicKey
// protobuf (the Data field is last, after its length prefix).
function spkiLength (pub) {
  // Data is a DER SEQUENCE: 0x30, then a short or 0x81/0x82 long length.
  for (let i = 0; i < pub.length - 2; i++) {
    if (pub[i] !== 0x30) continue
    let len = pub[i + 1]
    let hdr = 2
    if (len === 0x81) { len = pub[i + 2]; hdr = 3 } else if (len === 0x82) { len = pub[i + 2] << 8 | pub[i + 3]; hdr = 4 }
    if (i + hdr + len === pub.length) return hdr + len
  }
  throw new Error('no DER SEQUENCE ends the public key')
}

// A DER ECDSA-Sig-Value as IEEE P1363 r||s, each flen bytes.
function derToP1363 (der, flen) {
  let i = 0
  const fail = () => { throw new Error('bad DER ECDSA signature') }
  const readLen = () => {
    let n = der[i++]
    if (n === 0x81) n = der[i++]
    else if (n & 0x80) fail()
    return n
  }
  if (der[i++] !== 0x30) fail()
  if (readLen() !== der.length - i) fail()
  const out = new Uint8Array(2 * flen)
  for (let k = 0; k < 2; k++) {
    if (der[i++] !== 0x02) fail()
    let n = readLen()
    let v = der.subarray(i, i + n)
    i += n
    while (v.length > 0 && v[0] === 0) v = v.subarray(1)
    n = v.length
    if (n > flen) fail()
    out.set(v, (k + 1) * flen - n)
  }
  if (i !== der.length) fail()
  return out
}

async function verify (file) {
  const v = new Verifier(file)
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  for await (const text of lines) {
    v.line++
    let rec
    try {
      rec = JSON.parse(text)
    } catch (err) {
      v.fail(`unreadable line: ${err.message}`)
      continue
    }
    try {
      if (rec.kind === 'key') await v.key(rec)
      else if (rec.kind === 'ma') v.multiaddr(rec)
      else v.fail(`unknown kind ${JSON.stringify(rec.kind)}`)
    } catch (err) {
      v.fail(`${rec.kind} ${rec.type ?? rec.str}: ${err.name}: ${err.message}`)
    }
  }
  console.log(`xcheck.mjs verify ${file}: ${v.keys} keys, ${v.multiaddrs} multiaddrs, ${v.mismatches} mismatches`)
  const q = v.quirks
  console.log(`  known js-libp2p divergences: ECDSA public key encoding ${q.ecdsaPub}, ECDSA signature encoding ${q.ecdsaSig}, IPv4-mapped IPv6 text ${q.ip6Mapped}, unix path text ${q.unix}`)
  if (v.keys === 0 || v.multiaddrs === 0) {
    console.log(`MISMATCH ${file}: the corpus has no keys or no multiaddrs`)
    return 1
  }
  return v.mismatches > 0 ? 1 : 0
}

function usage () {
  process.stderr.write('usage: xcheck.mjs gen N [SEED]\n       xcheck.mjs verify FILE\n')
  return 2
}

async function main (argv) {
  if (argv[0] === 'gen' && (argv.length === 2 || argv.length === 3)) {
    const n = Number(argv[1])
    if (!Number.isInteger(n) || n < 1 || n > 100000) return usage()
    let seed = BigInt(Date.now())
    if (argv.length === 3) {
      if (!/^[0-9]+$/.test(argv[2])) return usage()
      seed = BigInt(argv[2])
    }
    await gen(n, seed)
    return 0
  }
  if (argv[0] === 'verify' && argv.length === 2) return verify(argv[1])
  return usage()
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
}, (err) => {
  process.stderr.write(`xcheck.mjs: ${err.stack ?? err}\n`)
  process.exitCode = 2
})
