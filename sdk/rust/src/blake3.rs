//! BLAKE3 (hash mode, 32-byte output), with the `blake3` crate's API for what guests use:
//! `blake3::hash(data)`, `Hasher::new().update(..).finalize()`, `Hash::as_bytes()`,
//! `to_hex()`, `Display` (lower-case hex), comparison. Use it as `use esgx::blake3;`
//! (or `sgxkit::blake3` with the crate renamed) where sgxkit code uses the crate.
//!
//! Design: the portable form of the BLAKE3 paper: 1 KiB chunks compressed block by
//! block, their chaining values merged into the tree on a stack as soon as a chunk is
//! known not to be the last (a chunk count's trailing zero bits say how many merges), so
//! `update` takes any split of the input in constant memory and the root is compressed
//! with the ROOT flag in `finalize`. No keyed or derive-key mode, no extendable output.

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const PERM: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const PARENT: u32 = 4;
const ROOT: u32 = 8;
const BLOCK_LEN: usize = 64;
const CHUNK_LEN: usize = 1024;

/// The quarter-round on state words a, b, c, d with message words x, y.
fn g(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize, x: u32, y: u32) {
    s[a] = s[a].wrapping_add(s[b]).wrapping_add(x);
    s[d] = (s[d] ^ s[a]).rotate_right(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_right(12);
    s[a] = s[a].wrapping_add(s[b]).wrapping_add(y);
    s[d] = (s[d] ^ s[a]).rotate_right(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_right(7);
}

/// The compression function: 7 rounds over one 64-byte block; the first 8 words of the
/// result are the new chaining value.
fn compress(cv: &[u32; 8], block: &[u32; 16], counter: u64, len: u32, flags: u32) -> [u32; 16] {
    let mut s = [
        cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
        IV[0], IV[1], IV[2], IV[3], counter as u32, (counter >> 32) as u32, len, flags,
    ];
    let mut m = *block;
    for round in 0..7 {
        g(&mut s, 0, 4, 8, 12, m[0], m[1]);
        g(&mut s, 1, 5, 9, 13, m[2], m[3]);
        g(&mut s, 2, 6, 10, 14, m[4], m[5]);
        g(&mut s, 3, 7, 11, 15, m[6], m[7]);
        g(&mut s, 0, 5, 10, 15, m[8], m[9]);
        g(&mut s, 1, 6, 11, 12, m[10], m[11]);
        g(&mut s, 2, 7, 8, 13, m[12], m[13]);
        g(&mut s, 3, 4, 9, 14, m[14], m[15]);
        if round < 6 {
            let old = m;
            for i in 0..16 {
                m[i] = old[PERM[i]];
            }
        }
    }
    for i in 0..8 {
        s[i] ^= s[i + 8];
        s[i + 8] ^= cv[i];
    }
    s
}

fn words(block: &[u8; BLOCK_LEN]) -> [u32; 16] {
    let mut w = [0u32; 16];
    for (i, c) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    w
}

fn first8(w: &[u32; 16]) -> [u32; 8] {
    [w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]
}

/// What finishing a node takes: compressing `block` (of `len` bytes) with these inputs,
/// either as an inner node (chaining value) or with ROOT (the hash).
struct Output {
    cv: [u32; 8],
    block: [u32; 16],
    counter: u64,
    len: u32,
    flags: u32,
}

impl Output {
    fn chaining_value(&self) -> [u32; 8] {
        first8(&compress(&self.cv, &self.block, self.counter, self.len, self.flags))
    }
    fn root(&self) -> [u8; 32] {
        let w = compress(&self.cv, &self.block, 0, self.len, self.flags | ROOT);
        let mut out = [0u8; 32];
        for i in 0..8 {
            out[4 * i..4 * i + 4].copy_from_slice(&w[i].to_le_bytes());
        }
        out
    }
}

fn parent(left: &[u32; 8], right: &[u32; 8]) -> Output {
    let mut block = [0u32; 16];
    block[..8].copy_from_slice(left);
    block[8..].copy_from_slice(right);
    Output { cv: IV, block, counter: 0, len: BLOCK_LEN as u32, flags: PARENT }
}

#[derive(Clone)]
struct Chunk {
    cv: [u32; 8],
    counter: u64,
    block: [u8; BLOCK_LEN],
    block_len: usize,
    blocks_done: usize,
}

impl Chunk {
    fn new(counter: u64) -> Self {
        Chunk { cv: IV, counter, block: [0; BLOCK_LEN], block_len: 0, blocks_done: 0 }
    }
    fn len(&self) -> usize {
        self.blocks_done * BLOCK_LEN + self.block_len
    }
    fn start_flag(&self) -> u32 {
        if self.blocks_done == 0 { CHUNK_START } else { 0 }
    }
    /// Takes bytes up to the end of the chunk; the last block stays buffered (it may be
    /// the chunk's last, which needs CHUNK_END). Returns how many were taken.
    fn update(&mut self, mut input: &[u8]) -> usize {
        let taken = input.len().min(CHUNK_LEN - self.len());
        input = &input[..taken];
        while !input.is_empty() {
            if self.block_len == BLOCK_LEN {
                let w = words(&self.block);
                self.cv = first8(&compress(&self.cv, &w, self.counter, BLOCK_LEN as u32, self.start_flag()));
                self.blocks_done += 1;
                self.block = [0; BLOCK_LEN];
                self.block_len = 0;
            }
            let n = input.len().min(BLOCK_LEN - self.block_len);
            self.block[self.block_len..self.block_len + n].copy_from_slice(&input[..n]);
            self.block_len += n;
            input = &input[n..];
        }
        taken
    }
    fn output(&self) -> Output {
        Output {
            cv: self.cv,
            block: words(&self.block),
            counter: self.counter,
            len: self.block_len as u32,
            flags: self.start_flag() | CHUNK_END,
        }
    }
}

/// A BLAKE3 hash: 32 bytes, compared in constant time like the crate's.
#[derive(Clone, Copy, Debug, Eq)]
pub struct Hash([u8; 32]);

impl Hash {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
    /// The hash as 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        crate::hex::encode(self.0)
    }
}

impl From<[u8; 32]> for Hash {
    fn from(b: [u8; 32]) -> Self {
        Hash(b)
    }
}

impl From<Hash> for [u8; 32] {
    fn from(h: Hash) -> Self {
        h.0
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Hash) -> bool {
        self.0.iter().zip(other.0.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

impl PartialEq<[u8; 32]> for Hash {
    fn eq(&self, other: &[u8; 32]) -> bool {
        *self == Hash(*other)
    }
}

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An incremental hasher: `update` any number of times, then `finalize` (which does not
/// consume it, as in the crate).
#[derive(Clone)]
pub struct Hasher {
    chunk: Chunk,
    stack: Vec<[u32; 8]>,
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher::new()
    }
}

impl Hasher {
    /// A hasher for the default (unkeyed) hash.
    pub fn new() -> Self {
        Hasher { chunk: Chunk::new(0), stack: Vec::with_capacity(8) }
    }

    /// Adds a finished chunk's chaining value to the tree: merges it with the stack's
    /// entries as often as the count of chunks so far has trailing zero bits.
    fn push_chunk(&mut self, mut cv: [u32; 8], mut total: u64) {
        while total & 1 == 0 {
            let left = self.stack.pop().expect("BLAKE3 stack holds the left subtrees");
            cv = parent(&left, &cv).chaining_value();
            total >>= 1;
        }
        self.stack.push(cv);
    }

    /// Hashes more input.
    pub fn update(&mut self, mut input: &[u8]) -> &mut Self {
        while !input.is_empty() {
            if self.chunk.len() == CHUNK_LEN {
                let cv = self.chunk.output().chaining_value();
                let total = self.chunk.counter + 1;
                self.push_chunk(cv, total);
                self.chunk = Chunk::new(total);
            }
            let n = self.chunk.update(input);
            input = &input[n..];
        }
        self
    }

    /// The hash of everything given so far.
    pub fn finalize(&self) -> Hash {
        let mut out = self.chunk.output();
        for left in self.stack.iter().rev() {
            out = parent(left, &out.chaining_value());
        }
        Hash(out.root())
    }

    /// Forgets the input: as new.
    pub fn reset(&mut self) -> &mut Self {
        *self = Hasher::new();
        self
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The BLAKE3 hash of `input`.
pub fn hash(input: &[u8]) -> Hash {
    Hasher::new().update(input).finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    /// The official vectors (BLAKE3 repository, test_vectors.json) when
    /// ESGX_SHARED_DIR/vectors/blake3 has them; each input also hashed in uneven pieces.
    #[test]
    fn official_vectors() {
        let dir = std::env::var("ESGX_SHARED_DIR").unwrap_or_else(|_| "../../../shared".to_string());
        let path = format!("{}/vectors/blake3/test_vectors.json", dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) => {
                eprintln!("blake3: {} absent; official vectors skipped", path);
                return;
            }
        };
        let mut checked = 0;
        // each case: "input_len": N, "hash": "<hex of 131 bytes of output>"
        for case in text.split("\"input_len\":").skip(1) {
            let n: usize = case.trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap();
            let h = case.split("\"hash\":").nth(1).unwrap().split('"').nth(1).unwrap();
            let input = pattern(n);
            assert_eq!(hash(&input).to_hex(), h[..64], "input_len {}", n);
            let mut st = Hasher::new();
            for piece in input.chunks(7).collect::<Vec<_>>().chunks(37) {
                for p in piece {
                    st.update(p);
                }
            }
            assert_eq!(st.finalize().to_hex(), h[..64], "input_len {} in pieces", n);
            checked += 1;
        }
        assert!(checked >= 30, "only {} vectors in {}", checked, path);
    }

    #[test]
    fn api_shape() {
        // BLAKE3("abc"), the common published example
        let h = hash(b"abc");
        assert_eq!(h.to_string(), "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
        assert_eq!(h.to_hex(), h.to_string());
        assert_eq!(h, *h.as_bytes());
        assert_eq!(Hasher::new().update(b"a").update(b"bc").finalize(), h);
        assert_ne!(hash(b"abd"), h);
        assert_eq!(hash(b"").to_hex(), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    }
}
