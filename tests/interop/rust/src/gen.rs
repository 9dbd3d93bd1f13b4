//! The deterministic byte stream of the interop tests (README.md,
//! "Deterministic byte generator"): xorshift32, shifts 13/17/5, seeded with
//! 0x6c703270 ("lp2p"), each state word emitted least significant byte first.

pub const GEN_SEED: u32 = 0x6c70_3270;

pub struct ByteGen {
    x: u32,
    word: u32,
    left: u32, // unread bytes of `word`
}

impl ByteGen {
    pub fn new() -> ByteGen {
        ByteGen::with_seed(GEN_SEED)
    }

    pub fn with_seed(seed: u32) -> ByteGen {
        ByteGen { x: seed, word: 0, left: 0 }
    }

    /// Fills `buf` with the next `buf.len()` bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let (mut x, mut word, mut left) = (self.x, self.word, self.left);
        let mut i = 0;
        // the rest of a word cut short by the previous call
        while left > 0 && i < buf.len() {
            buf[i] = word as u8;
            word >>= 8;
            left -= 1;
            i += 1;
        }
        let mut words = buf[i..].chunks_exact_mut(4);
        for w in &mut words {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            w.copy_from_slice(&x.to_le_bytes());
        }
        let tail = words.into_remainder();
        if !tail.is_empty() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            word = x;
            left = 4;
            for b in tail {
                *b = word as u8;
                word >>= 8;
                left -= 1;
            }
        }
        self.x = x;
        self.word = word;
        self.left = left;
    }

    pub fn next(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.fill(&mut v);
        v
    }
}

/// Checks that incoming chunks are the generator's stream, in order.
pub struct GenChecker {
    gen: ByteGen,
    pub offset: u64,
    scratch: Vec<u8>,
}

impl GenChecker {
    pub fn new() -> GenChecker {
        GenChecker { gen: ByteGen::new(), offset: 0, scratch: Vec::new() }
    }

    pub fn check(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.scratch.resize(chunk.len(), 0);
        self.gen.fill(&mut self.scratch);
        if chunk != &self.scratch[..] {
            let i = chunk.iter().zip(&self.scratch).take_while(|(a, b)| a == b).count();
            return Err(format!("content mismatch at byte {}", self.offset + i as u64));
        }
        self.offset += chunk.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn sha_of_first(n: usize) -> String {
        let mut g = ByteGen::new();
        let mut h = Sha256::new();
        let mut left = n;
        // odd chunk sizes, so that words cut short across calls are covered
        let mut step = 1;
        while left > 0 {
            let k = step.min(left);
            h.update(g.next(k));
            left -= k;
            step = step * 3 % 65_537 + 1;
        }
        hex(&h.finalize())
    }

    #[test]
    fn readme_vectors() {
        assert_eq!(hex(&ByteGen::new().next(16)), "8feafe2dd82941e5457533cf8834eb92");
        assert_eq!(sha_of_first(1), "5e37305c587caf07e99a08e1efd0749fd3bbbb855752e4d568ac2dbfc2025464");
        assert_eq!(sha_of_first(1000), "37cec1346c78795928ac596503233d7f3f39bac04cb2364b15e4bf66aba3a37b");
        assert_eq!(sha_of_first(1 << 20), "266f2c5ec84bfb6dfd70265c2285df54a8794d6bdd9ac2eaabddbf6ba00d588e");
        assert_eq!(sha_of_first(100 << 20), "9be91fb657a7f546b44c35708ebc966a4b85854c648c87d31740af2b12ccab86");
    }

    #[test]
    fn checker_finds_offset() {
        let mut data = ByteGen::new().next(100);
        data[57] ^= 1;
        let mut c = GenChecker::new();
        c.check(&data[..50]).unwrap();
        assert_eq!(c.check(&data[50..]).unwrap_err(), "content mismatch at byte 57");
    }
}
