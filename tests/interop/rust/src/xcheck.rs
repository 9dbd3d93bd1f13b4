//! `lp2p-rust-peer xcheck gen N [SEED]` and `xcheck verify FILE`: the
//! cross-check of keys, signatures, peer ids and multiaddrs with
//! rust-libp2p's own libraries (libp2p-identity, multiaddr), in the corpus
//! format of js/xcheck.mjs (tests/interop/README.md).  rust-libp2p follows
//! the spec for ECDSA (SubjectPublicKeyInfo public keys, DER signatures),
//! so none of js's ECDSA allowances are made here.  What rust-libp2p cannot
//! do is counted and printed as unsupported, never passed silently.

use std::str::FromStr;

use libp2p::identity::{Keypair, PeerId, PublicKey};
use libp2p::Multiaddr;
use serde_json::{json, Map, Value};

use crate::xcheck_ma::{random_multiaddr, Rng};

const MULTIADDRS_PER_N: u64 = 25;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err("not hex".into());
    }
    Ok((0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect())
}

const B32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

fn base32(b: &[u8]) -> String {
    let (mut acc, mut bits, mut out) = (0u32, 0, String::new());
    for &x in b {
        acc = acc << 8 | x as u32;
        bits += 8;
        while bits >= 5 {
            out.push(B32[(acc >> (bits - 5) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(B32[(acc << (5 - bits) & 31) as usize] as char);
    }
    out
}

fn unbase32(s: &str) -> Option<Vec<u8>> {
    let (mut acc, mut bits, mut out) = (0u32, 0, Vec::new());
    for c in s.bytes() {
        acc = acc << 5 | B32.iter().position(|&x| x == c)? as u32;
        bits += 5;
        if bits >= 8 {
            out.push((acc >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The peer id as a CIDv1 (libp2p-key codec 0x72) in base32: libp2p-identity
/// has no CID form, so it is made here from the id's multihash.
fn peer_cid(id: &PeerId) -> String {
    format!("b{}", base32(&[&[0x01, 0x72][..], &id.to_bytes()].concat()))
}

fn peer_from_cid(s: &str) -> Option<PeerId> {
    let b = unbase32(s.strip_prefix('b')?)?;
    PeerId::from_bytes(b.strip_prefix(&[0x01, 0x72][..])?).ok()
}

/// A 2048-bit (or `bits`) RSA key: libp2p-identity cannot make one, so the
/// `rsa` crate makes it and libp2p-identity reads it back from its
/// protobuf form (PKCS#1), which is returned too.
pub fn generate_rsa(bits: usize) -> Result<(Keypair, Vec<u8>), String> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).map_err(|e| e.to_string())?;
    let der = key.to_pkcs1_der().map_err(|e| e.to_string())?;
    // PrivateKey { Type = RSA (0), Data = PKCS#1 }
    let mut pb = vec![0x08, 0x00, 0x12];
    let mut n = der.as_bytes().len();
    while n >= 0x80 {
        pb.push(n as u8 | 0x80);
        n >>= 7;
    }
    pb.push(n as u8);
    pb.extend_from_slice(der.as_bytes());
    let pair = Keypair::from_protobuf_encoding(&pb).map_err(|e| e.to_string())?;
    Ok((pair, pb))
}

fn random_message(r: &mut Rng) -> Vec<u8> {
    if r.one_in(8) {
        return Vec::new();
    }
    if r.one_in(10) {
        let n = 1000 + r.below(8192 - 1000) as usize;
        return r.bytes(n);
    }
    let n = r.below(300) as usize;
    r.bytes(n)
}

fn line(v: Value) {
    crate::emit(v)
}

fn gen(n: u64, seed: u64) -> i32 {
    let mut r = Rng::new(seed);
    eprintln!("lp2p-rust-peer xcheck gen: seed {seed}");
    let kinds: [(&str, u64); 4] = [("ed25519", 1000), ("secp256k1", 1000), ("ecdsa", 1000), ("rsa", 125)];
    for (kind, per_mille) in kinds {
        for _ in 0..(n * per_mille).div_ceil(1000) {
            let (pair, priv_pb) = match kind {
                "ed25519" => (Keypair::generate_ed25519(), None),
                "secp256k1" => (Keypair::generate_secp256k1(), None),
                "ecdsa" => (Keypair::generate_ecdsa(), None),
                _ => match generate_rsa(2048) {
                    Ok((k, pb)) => (k, Some(pb)),
                    Err(e) => {
                        eprintln!("xcheck gen: RSA: {e}");
                        return 2;
                    }
                },
            };
            let priv_pb = priv_pb.unwrap_or_else(|| pair.to_protobuf_encoding().expect("private key encoding"));
            let msg = random_message(&mut r);
            let sig = pair.sign(&msg).expect("signing");
            let public = pair.public();
            let mut rec = Map::new();
            rec.insert("kind".into(), "key".into());
            rec.insert("type".into(), kind.into());
            if kind == "ecdsa" {
                rec.insert("curve".into(), "P-256".into());
                let point = public.clone().try_into_ecdsa().unwrap().to_bytes();
                rec.insert("point".into(), hex(&point).into());
            }
            let id = public.to_peer_id();
            rec.insert("pub".into(), hex(&public.encode_protobuf()).into());
            rec.insert("priv".into(), hex(&priv_pb).into());
            rec.insert("msg".into(), hex(&msg).into());
            rec.insert("sig".into(), hex(&sig).into());
            rec.insert("id".into(), id.to_string().into());
            rec.insert("cid".into(), peer_cid(&id).into());
            line(Value::Object(rec));
        }
    }
    eprintln!(
        "lp2p-rust-peer xcheck gen: unsupported by rust-libp2p, not generated: ECDSA P-384 {} keys, ECDSA P-521 {} keys",
        (n * 250).div_ceil(1000),
        (n * 250).div_ceil(1000)
    );
    let mut unix = 0;
    for _ in 0..n * MULTIADDRS_PER_N {
        let Some(bytes) = random_multiaddr(&mut r) else {
            unix += 1;
            continue;
        };
        match Multiaddr::try_from(bytes.clone()) {
            Ok(ma) => line(json!({"kind": "ma", "hex": hex(&ma.to_vec()), "str": ma.to_string()})),
            Err(e) => {
                eprintln!("lp2p-rust-peer xcheck gen: rust-multiaddr refuses {}: {e}", hex(&bytes));
                return 1;
            }
        }
    }
    eprintln!(
        "lp2p-rust-peer xcheck gen: {unix} unix multiaddrs left out: rust-multiaddr prints /unix//PATH, which neither lp2p nor the spec reads"
    );
    0
}

#[derive(Default)]
struct Verifier {
    file: String,
    line: usize,
    mismatches: usize,
    keys: usize,
    multiaddrs: usize,
    unsupported_curve: std::collections::BTreeMap<String, usize>,
    unsupported_rsa_encoding: usize,
    no_id: usize,
    unix_text: usize,
}

impl Verifier {
    fn fail(&mut self, msg: String) {
        println!("MISMATCH {}:{}: {msg}", self.file, self.line);
        self.mismatches += 1;
    }

    fn key(&mut self, rec: &Map<String, Value>) -> Result<(), String> {
        let field = |n: &str| rec.get(n).and_then(Value::as_str).ok_or(format!("key record without \"{n}\""));
        let ty = field("type")?.to_string();
        let pub_pb = unhex(field("pub")?)?;
        let priv_pb = unhex(field("priv")?)?;
        let msg = unhex(field("msg")?)?;
        let sig = unhex(field("sig")?)?;
        if ty == "ecdsa" {
            let curve = field("curve")?;
            if curve != "P-256" {
                *self.unsupported_curve.entry(curve.to_string()).or_default() += 1;
                return Ok(()); // libp2p-identity knows P-256 only
            }
        }
        self.keys += 1;

        // the private key reads and (but RSA) writes back the same bytes
        let pair = Keypair::from_protobuf_encoding(&priv_pb).map_err(|e| format!("{ty} private key: {e}"))?;
        match pair.to_protobuf_encoding() {
            Ok(b) if b == priv_pb => {}
            Ok(_) => self.fail(format!("{ty} private key marshals back differently")),
            Err(_) if ty == "rsa" => self.unsupported_rsa_encoding += 1,
            Err(e) => self.fail(format!("{ty} private key does not marshal: {e}")),
        }

        // the public key reads, writes back the same bytes, is the private key's
        let public = PublicKey::try_decode_protobuf(&pub_pb).map_err(|e| format!("{ty} public key: {e}"))?;
        if public.encode_protobuf() != pub_pb {
            self.fail(format!("{ty} public key marshals back differently"));
        }
        if public != pair.public() {
            self.fail(format!("{ty} private key gives another public key"));
        }
        if ty == "ecdsa" {
            let point = unhex(field("point")?)?;
            if public.clone().try_into_ecdsa().map(|k| k.to_bytes()).ok() != Some(point) {
                self.fail("ECDSA public key holds another point than \"point\"".into());
            }
        }

        // the signature verifies, a tampered one does not
        if !public.verify(&msg, &sig) {
            self.fail(format!("{ty} signature does not verify"));
        } else {
            let mut bad = sig.clone();
            let i = bad.len() / 2;
            if i < bad.len() {
                bad[i] ^= 0x10;
            }
            if public.verify(&msg, &bad) {
                self.fail(format!("{ty}: a tampered signature verifies"));
            }
            let mut bad_msg = if msg.is_empty() { vec![0] } else { msg.clone() };
            if !msg.is_empty() {
                bad_msg[msg.len() / 2] ^= 0x01;
            }
            if public.verify(&bad_msg, &sig) {
                self.fail(format!("{ty}: the signature verifies a changed message"));
            }
        }

        // rust signs too; Ed25519 and RSA PKCS#1 v1.5 make the very same bytes
        match pair.sign(&msg) {
            Ok(mine) => {
                if !public.verify(&msg, &mine) {
                    self.fail(format!("{ty}: rust's signature does not verify"));
                }
                if (ty == "ed25519" || ty == "rsa") && mine != sig {
                    self.fail(format!("{ty}: rust signs the message with other bytes"));
                }
            }
            Err(e) => self.fail(format!("{ty}: rust cannot sign: {e}")),
        }

        // peer ids
        let id = public.to_peer_id();
        let (Some(rec_id), Some(rec_cid)) = (rec.get("id").and_then(Value::as_str), rec.get("cid").and_then(Value::as_str)) else {
            self.no_id += 1; // js makes none for ECDSA keys
            return Ok(());
        };
        if id.to_string() != rec_id {
            self.fail(format!("{ty} peer id {rec_id}, rust {id}"));
        }
        if peer_cid(&id) != rec_cid {
            self.fail(format!("{ty} CID peer id {rec_cid}, rust {}", peer_cid(&id)));
        }
        match PeerId::from_str(rec_id) {
            Ok(parsed) => {
                if parsed.to_string() != rec_id {
                    self.fail(format!("peer id {rec_id} prints as {parsed}"));
                }
                if ty == "ed25519" || ty == "secp256k1" {
                    let mh = parsed.as_ref();
                    let inlined = (mh.code() == 0).then(|| PublicKey::try_decode_protobuf(mh.digest()).ok()).flatten();
                    if inlined.as_ref() != Some(&public) {
                        self.fail(format!("{ty}: the key inlined in {rec_id} differs"));
                    }
                }
            }
            Err(e) => self.fail(format!("rust cannot parse peer id {rec_id}: {e}")),
        }
        if peer_from_cid(rec_cid).map(|p| p.to_string()).as_deref() != Some(rec_id) {
            self.fail(format!("CID {rec_cid} is not peer id {rec_id}"));
        }
        Ok(())
    }

    fn multiaddr(&mut self, rec: &Map<String, Value>) -> Result<(), String> {
        self.multiaddrs += 1;
        let (Some(h), Some(text)) = (rec.get("hex").and_then(Value::as_str), rec.get("str").and_then(Value::as_str)) else {
            return Err("multiaddr record without \"hex\" or \"str\"".into());
        };
        let bytes = unhex(h)?;
        let ma = match Multiaddr::try_from(bytes.clone()) {
            Ok(m) => m,
            Err(e) => {
                self.fail(format!("rust refuses the bytes of {text}: {e}"));
                return Ok(());
            }
        };
        if ma.to_vec() != bytes {
            self.fail(format!("bytes {h} come back as {}", hex(&ma.to_vec())));
        }
        let mine = ma.to_string();
        let unix = ma.iter().any(|p| matches!(p, libp2p::multiaddr::Protocol::Unix(_)));
        if unix {
            // rust-multiaddr prints a unix path as "/unix" + "/" + path, so
            // /unix//tmp/s, and reads only one segment back: the text the
            // other side would print is compared instead, and counted.
            self.unix_text += 1;
            let theirs: String = ma
                .iter()
                .map(|p| match p {
                    libp2p::multiaddr::Protocol::Unix(s) => format!("/unix{}{s}", if s.starts_with('/') { "" } else { "/" }),
                    p => p.to_string(),
                })
                .collect();
            if theirs != text {
                self.fail(format!("bytes {h} print as {theirs} (rust {mine}), other side {text}"));
            }
            return Ok(());
        }
        if mine != text {
            self.fail(format!("bytes {h} print as {mine}, other side {text}"));
        }
        match Multiaddr::from_str(text) {
            Ok(back) if back.to_vec() == bytes => {}
            Ok(back) => self.fail(format!("{text} parses to {}, other side {h}", hex(&back.to_vec()))),
            Err(e) => self.fail(format!("rust cannot parse {text}: {e}")),
        }
        Ok(())
    }
}

fn verify(file: &str) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("xcheck verify: {file}: {e}");
            return 2;
        }
    };
    let mut v = Verifier { file: file.to_string(), ..Default::default() };
    for l in text.lines() {
        v.line += 1;
        let rec: Map<String, Value> = match serde_json::from_str(l) {
            Ok(r) => r,
            Err(e) => {
                v.fail(format!("unreadable line: {e}"));
                continue;
            }
        };
        let r = match rec.get("kind").and_then(Value::as_str) {
            Some("key") => v.key(&rec),
            Some("ma") => v.multiaddr(&rec),
            k => Err(format!("unknown kind {k:?}")),
        };
        if let Err(e) = r {
            let what = rec.get("type").or(rec.get("str")).and_then(Value::as_str).unwrap_or("").to_string();
            v.fail(format!("{} {what}: {e}", rec.get("kind").and_then(Value::as_str).unwrap_or("?")));
        }
    }
    println!("lp2p-rust-peer xcheck verify {file}: {} keys, {} multiaddrs, {} mismatches", v.keys, v.multiaddrs, v.mismatches);
    let curves: Vec<String> = v.unsupported_curve.iter().map(|(c, n)| format!("ECDSA {c} keys {n}")).collect();
    println!(
        "  unsupported by rust-libp2p (skipped): {}{}RSA private key encoding {}",
        curves.join(", "),
        if curves.is_empty() { "" } else { ", " },
        v.unsupported_rsa_encoding
    );
    println!("  known rust-multiaddr divergences: unix path text {}", v.unix_text);
    if v.no_id > 0 {
        println!("  keys without a peer id in the corpus: {}", v.no_id);
    }
    if v.keys == 0 || v.multiaddrs == 0 {
        println!("MISMATCH {file}: the corpus has no keys or no multiaddrs");
        return 1;
    }
    if v.mismatches > 0 { 1 } else { 0 }
}

fn usage() -> i32 {
    eprintln!("usage: lp2p-rust-peer xcheck gen N [SEED]\n       lp2p-rust-peer xcheck verify FILE");
    2
}

pub fn main(argv: &[String]) -> i32 {
    match argv {
        [cmd, n, rest @ ..] if cmd == "gen" && rest.len() <= 1 => {
            let Ok(n) = n.parse::<u64>() else { return usage() };
            if !(1..=100_000).contains(&n) {
                return usage();
            }
            let seed = match rest.first() {
                Some(s) => match s.parse::<u64>() {
                    Ok(s) => s,
                    Err(_) => return usage(),
                },
                None => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64,
            };
            gen(n, seed)
        }
        [cmd, file] if cmd == "verify" => verify(file),
        _ => usage(),
    }
}
