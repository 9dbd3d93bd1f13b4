//! Random multiaddrs for the cross-check corpus, in binary, with the shapes
//! of js/xcheck-ma.mjs and c/random_ma.c, from the same splitmix64.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    pub fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len() as u64) as usize]
    }
}

const ODD_BITS: &[&str] = &["A", "Z", "_", "%", "%41", ":", " ", "~", "\"", "\\", "@", "+", "\u{fc}", "\u{4e2d}", "\u{1f600}"];
const LABEL: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";
const SEGMENT: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789._-";
const FLAGS: &[&str] = &["webrtc-direct", "webrtc", "p2p-circuit", "udt", "utp", "https", "tls", "noise", "quic", "quic-v1", "webtransport", "ws", "wss", "http"];

fn code(name: &str) -> u64 {
    match name {
        "ip4" => 0x04, "tcp" => 0x06, "dccp" => 0x21, "ip6" => 0x29, "ip6zone" => 0x2a, "ipcidr" => 0x2b,
        "dns" => 0x35, "dns4" => 0x36, "dns6" => 0x37, "dnsaddr" => 0x38, "sctp" => 0x84, "udp" => 0x0111,
        "webrtc-direct" => 0x0118, "webrtc" => 0x0119, "p2p-circuit" => 0x0122, "udt" => 0x012d, "utp" => 0x012e,
        "unix" => 0x0190, "p2p" => 0x01a5, "https" => 0x01bb, "tls" => 0x01c0, "sni" => 0x01c1, "noise" => 0x01c6,
        "quic" => 0x01cc, "quic-v1" => 0x01cd, "webtransport" => 0x01d1, "certhash" => 0x01d2, "ws" => 0x01dd,
        "wss" => 0x01de, "http" => 0x01e0,
        _ => unreachable!("{name}"),
    }
}

fn fixed(name: &str) -> bool {
    matches!(name, "ip4" | "ip6" | "tcp" | "udp" | "dccp" | "sctp" | "ipcidr")
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n > 0 {
            out.push(b | 0x80);
        } else {
            out.push(b);
            return;
        }
    }
}

fn random_name(r: &mut Rng) -> Vec<u8> {
    let max = if r.one_in(40) { 200 + r.below(56) } else { 1 + r.below(40) } as usize;
    let mut s = String::new();
    let add = |s: &mut String, t: &str| {
        if s.len() + t.len() <= max {
            s.push_str(t)
        }
    };
    let labels = 1 + r.below(4);
    for l in 0..labels {
        if l > 0 {
            add(&mut s, ".");
        }
        let n = 1 + r.below(12);
        for _ in 0..n {
            if r.one_in(30) {
                let t = *r.pick(ODD_BITS);
                add(&mut s, t);
            } else {
                let c = *r.pick(LABEL) as char;
                add(&mut s, &c.to_string());
            }
        }
    }
    while r.one_in(3) {
        let c = *r.pick(LABEL) as char;
        add(&mut s, &c.to_string());
    }
    if s.is_empty() {
        s.push('x');
    }
    s.into_bytes()
}

struct Builder {
    parts: Vec<u8>,
}

impl Builder {
    fn push(&mut self, name: &str, value: &[u8]) {
        let mut part = Vec::new();
        varint(code(name), &mut part);
        if !fixed(name) && !FLAGS.contains(&name) {
            varint(value.len() as u64, &mut part);
        }
        part.extend_from_slice(value);
        if self.parts.len() + part.len() > 512 {
            return; // as lp2p's limit
        }
        self.parts.extend(part);
    }

    fn flag(&mut self, name: &str) {
        self.push(name, &[]);
    }
}

fn ip4(r: &mut Rng, b: &mut Builder) {
    const SPECIAL: [[u8; 4]; 5] = [[0, 0, 0, 0], [127, 0, 0, 1], [255, 255, 255, 255], [10, 0, 0, 1], [192, 168, 1, 254]];
    let v = if r.one_in(6) { r.pick(&SPECIAL).to_vec() } else { r.bytes(4) };
    b.push("ip4", &v);
}

fn ip6(r: &mut Rng, b: &mut Builder) {
    let mut a = [0u8; 16];
    match r.below(9) {
        0 => a.copy_from_slice(&r.bytes(16)),
        1 | 2 => {
            for w in 0..8 {
                if r.one_in(2) {
                    continue;
                }
                a[2 * w] = if r.one_in(2) { 0 } else { r.below(256) as u8 };
                a[2 * w + 1] = r.below(256) as u8;
            }
        }
        3 => {
            a[10] = 0xff;
            a[11] = 0xff;
            a[12..].copy_from_slice(&r.bytes(4));
        }
        4 => a[12..].copy_from_slice(&r.bytes(4)),
        5 => {
            a[15] = r.below(3) as u8;
            if r.one_in(3) {
                a[14] = r.below(256) as u8;
            }
        }
        6 => {
            a[0] = 0xfe;
            a[1] = 0x80;
            a[8..].copy_from_slice(&r.bytes(8));
        }
        7 => {
            a[1] = 0x64;
            a[2] = 0xff;
            a[3] = 0x9b;
            a[12..].copy_from_slice(&r.bytes(4));
        }
        _ => {
            a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
            a[4..].copy_from_slice(&r.bytes(12));
            let w = 2 + r.below(6) as usize;
            a[2 * w] = 0;
            a[2 * w + 1] = 0;
        }
    }
    b.push("ip6", &a);
}

fn port(r: &mut Rng, b: &mut Builder, name: &str) {
    const SPECIAL: [u16; 6] = [0, 1, 80, 443, 4001, 65535];
    let p = if r.one_in(4) { *r.pick(&SPECIAL) } else { r.below(65536) as u16 };
    b.push(name, &p.to_be_bytes());
}

fn peer(r: &mut Rng, b: &mut Builder) {
    let v = match r.below(3) {
        0 => [&[0x00, 0x24, 0x08, 0x01, 0x12, 0x20][..], &r.bytes(32)].concat(),
        1 => [&[0x00, 0x25, 0x08, 0x02, 0x12, 0x21, 0x02][..], &r.bytes(32)].concat(),
        _ => [&[0x12, 0x20][..], &r.bytes(32)].concat(),
    };
    b.push("p2p", &v);
}

fn certhash(r: &mut Rng, b: &mut Builder) {
    let v = match r.below(4) {
        0 => {
            let n = r.below(20) as usize;
            [&[0x00, n as u8][..], &r.bytes(n)].concat()
        }
        1 => [&[0x13, 64][..], &r.bytes(64)].concat(),
        _ => [&[0x12, 32][..], &r.bytes(32)].concat(),
    };
    b.push("certhash", &v);
}

fn host(r: &mut Rng, b: &mut Builder) {
    match r.below(10) {
        0..=2 => ip4(r, b),
        3 | 4 => ip6(r, b),
        5 => {
            let n = random_name(r);
            b.push("ip6zone", &n);
            ip6(r, b)
        }
        6 => b.push("dns", &random_name(r)),
        7 => b.push("dns4", &random_name(r)),
        8 => b.push("dns6", &random_name(r)),
        _ => {
            ip4(r, b);
            if r.one_in(2) {
                let m = r.below(33) as u8;
                b.push("ipcidr", &[m]);
            }
        }
    }
}

fn transport(r: &mut Rng, b: &mut Builder) {
    host(r, b);
    if r.one_in(2) {
        port(r, b, "tcp");
        if r.one_in(3) {
            b.flag("tls");
            if r.one_in(2) {
                b.push("sni", &random_name(r));
            }
        }
        if r.one_in(2) {
            { let f = *r.pick(&["ws", "wss", "http", "https", "noise"]); b.flag(f) }
        }
    } else {
        port(r, b, "udp");
        match r.below(4) {
            0 => b.flag("quic"),
            1 => {
                b.flag("webrtc-direct");
                certhash(r, b)
            }
            _ => {
                b.flag("quic-v1");
                if r.one_in(2) {
                    b.flag("webtransport");
                    for _ in 0..r.below(3) {
                        certhash(r, b)
                    }
                }
            }
        }
    }
}

fn any(r: &mut Rng, b: &mut Builder) {
    match r.below(8) {
        0 => ip4(r, b),
        1 => ip6(r, b),
        2 => {
            let name = *r.pick(&["ip6zone", "dns", "dns4", "dns6", "dnsaddr", "sni"]);
            b.push(name, &random_name(r))
        }
        3 => {
            let name = *r.pick(&["tcp", "udp", "dccp", "sctp"]);
            port(r, b, name)
        }
        4 => peer(r, b),
        5 => certhash(r, b),
        6 => {
            let m = r.below(256) as u8;
            b.push("ipcidr", &[m])
        }
        _ => { let f = *r.pick(FLAGS); b.flag(f) }
    }
}

/// The binary form of a random multiaddr (never empty).  Unix paths
/// (js/xcheck-ma.mjs case 2) are drawn too, so that the sequence stays the
/// same, and returned as None: see xcheck.rs.
pub fn random_multiaddr(r: &mut Rng) -> Option<Vec<u8>> {
    loop {
        let mut b = Builder { parts: Vec::new() };
        match r.below(10) {
            0 => {
                transport(r, &mut b);
                peer(r, &mut b);
                b.flag("p2p-circuit");
                if r.one_in(3) {
                    b.flag("webrtc")
                } else if r.one_in(2) {
                    peer(r, &mut b)
                }
            }
            1 => {
                b.push("dnsaddr", &random_name(r));
                if r.one_in(2) {
                    peer(r, &mut b)
                }
            }
            2 => {
                // a unix path: drawn, not used
                let segs = 1 + r.below(5);
                for _ in 0..segs {
                    let n = 1 + r.below(10);
                    for _ in 0..n {
                        if r.one_in(25) {
                            r.pick(ODD_BITS);
                        } else {
                            r.pick(SEGMENT);
                        }
                    }
                }
                return None;
            }
            3 | 4 => {
                for _ in 0..1 + r.below(8) {
                    any(r, &mut b)
                }
            }
            _ => {
                transport(r, &mut b);
                if r.one_in(2) {
                    peer(r, &mut b)
                }
            }
        }
        if !b.parts.is_empty() {
            return Some(b.parts);
        }
    }
}
