//! Keccak-256 (the original Keccak padding 0x01, as Ethereum uses; not NIST SHA3-256's
//! 0x06), for `DerivedKey::sign_eth` and Ethereum addresses. The API mirrors the parts of
//! the `sha3` crate that sgxkit code uses, through its trait `Digest`
//! (`Keccak256::digest(data)`, `new()`/`update()`/`finalize()`), answering a plain
//! `[u8; 32]`: `use esgx::keccak as sha3; use sha3::{Digest, Keccak256};`.

const RATE: usize = 136; // 1088 bits: 1600 - 2 * 256

const RC: [u64; 24] = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
    0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
];
// rho rotations and pi destinations, walking the lanes from (1, 0) as the spec's loop does
const ROT: [u32; 24] = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62,
                        18, 39, 61, 20, 44];
const PI: [usize; 24] = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20,
                         14, 22, 9, 6, 1];

fn keccak_f(a: &mut [u64; 25]) {
    for rc in RC.iter() {
        let mut c = [0u64; 5];
        for x in 0..5 {
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        }
        for x in 0..5 {
            let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
            for y in 0..5 {
                a[x + 5 * y] ^= d;
            }
        }
        let mut last = a[1];
        for i in 0..24 {
            let t = a[PI[i]];
            a[PI[i]] = last.rotate_left(ROT[i]);
            last = t;
        }
        for y in 0..5 {
            let row = [a[5 * y], a[5 * y + 1], a[5 * y + 2], a[5 * y + 3], a[5 * y + 4]];
            for x in 0..5 {
                a[5 * y + x] = row[x] ^ (!row[(x + 1) % 5] & row[(x + 2) % 5]);
            }
        }
        a[0] ^= rc;
    }
}

/// An incremental Keccak-256.
#[derive(Clone)]
pub struct Keccak256 {
    state: [u64; 25],
    buf: [u8; RATE],
    used: usize,
}

impl Default for Keccak256 {
    fn default() -> Self {
        Keccak256 { state: [0; 25], buf: [0; RATE], used: 0 }
    }
}

/// A hash function (the `digest` crate's trait, as far as sgxkit code uses it).
pub trait Digest: Sized {
    /// An empty hash state.
    fn new() -> Self;
    /// Appends `data` to the message.
    fn update<T: AsRef<[u8]>>(&mut self, data: T);
    /// The digest of everything appended.
    fn finalize(self) -> [u8; 32];
    /// The digest of `data` in one call.
    fn digest<T: AsRef<[u8]>>(data: T) -> [u8; 32] {
        let mut h = Self::new();
        h.update(data);
        h.finalize()
    }
}

impl Keccak256 {
    fn absorb_block(&mut self) {
        for (i, lane) in self.buf.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(lane);
            self.state[i] ^= u64::from_le_bytes(b);
        }
        keccak_f(&mut self.state);
        self.used = 0;
    }
}

impl Digest for Keccak256 {
    fn new() -> Self {
        Self::default()
    }

    fn update<T: AsRef<[u8]>>(&mut self, data: T) {
        for &byte in data.as_ref() {
            self.buf[self.used] = byte;
            self.used += 1;
            if self.used == RATE {
                self.absorb_block();
            }
        }
    }

    fn finalize(mut self) -> [u8; 32] {
        for b in self.buf[self.used..].iter_mut() {
            *b = 0;
        }
        self.buf[self.used] ^= 0x01;
        self.buf[RATE - 1] ^= 0x80;
        self.absorb_block();
        let mut out = [0u8; 32];
        for (i, chunk) in out.chunks_mut(8).enumerate() {
            chunk.copy_from_slice(&self.state[i].to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Digest, Keccak256};
    use crate::hex;

    #[test]
    fn known_digests() {
        // the empty string's Keccak-256 (Ethereum's KECCAK_EMPTY) and "abc"
        assert_eq!(hex::encode(&Keccak256::digest(b"")),
                   "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
        assert_eq!(hex::encode(&Keccak256::digest(b"abc")),
                   "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
        // a message over one block (136 bytes) hashes the same in pieces
        let long = vec![0x61u8; 300];
        let mut h = Keccak256::new();
        h.update(&long[..135]);
        h.update(&long[135..137]);
        h.update(&long[137..]);
        assert_eq!(h.finalize(), Keccak256::digest(&long));
    }
}
