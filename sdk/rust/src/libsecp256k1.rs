//! secp256k1 signature checking with the `libsecp256k1` crate's API for what guests use
//! (sgxkit's multisig example): `Message::parse`, `Signature::parse_standard`,
//! `RecoveryId::parse`/`parse_rpc`, `PublicKey::parse`/`parse_compressed`/`serialize`,
//! `recover`, `verify`. Use it as `use esgx::libsecp256k1;` (or `sgxkit::libsecp256k1`).
//!
//! Design: the curve arithmetic runs in the host (the `esgx` import module, host calls
//! `secp256k1_recover`, `secp256k1_verify`, `secp256k1_pubkey_parse`, priced by their
//! work in fuel); what is left here is byte handling: range checks of r and s against the
//! group order, recovery ids, and the key formats. A `PublicKey` holds the 65-byte
//! uncompressed form the host checked, so `serialize` needs no host call. No secret-key
//! operations (`SecretKey`, `sign`): a guest signs with its derived keys
//! (`crypto::DerivedKey::sign`), whose secrets never enter guest memory.

use crate::sys::esgx as host;

/// The group order n, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The crate's error values (those this module can return, and the rest for matching).
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub enum Error {
    InvalidSignature,
    InvalidPublicKey,
    InvalidSecretKey,
    InvalidRecoveryId,
    InvalidMessage,
    InvalidInputLength,
    TweakOutOfRange,
    InvalidAffine,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::InvalidSignature => "Invalid signature",
            Error::InvalidPublicKey => "Invalid public key",
            Error::InvalidSecretKey => "Invalid secret key",
            Error::InvalidRecoveryId => "Invalid recovery ID",
            Error::InvalidMessage => "Invalid message",
            Error::InvalidInputLength => "Invalid input length",
            Error::TweakOutOfRange => "Tweak out of range",
            Error::InvalidAffine => "Invalid Affine",
        })
    }
}

impl std::error::Error for Error {}

fn below_order(x: &[u8; 32]) -> bool {
    x < &ORDER // big-endian byte order is numeric order
}

/// a - b for big-endian 256-bit numbers with a >= b.
fn sub(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = a[i] as i16 - b[i] as i16 - borrow;
        borrow = if d < 0 { d += 256; 1 } else { 0 };
        out[i] = d as u8;
    }
    out
}

/// A 32-byte message digest to sign or check (hash it first: Keccak-256 for Ethereum).
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub struct Message(pub [u8; 32]);

impl Message {
    /// The digest as a message.
    pub fn parse(p: &[u8; 32]) -> Message {
        Message(*p)
    }
    /// A 32-byte slice as a message; `InvalidInputLength` otherwise.
    pub fn parse_slice(p: &[u8]) -> Result<Message, Error> {
        let a: [u8; 32] = p.try_into().map_err(|_| Error::InvalidInputLength)?;
        Ok(Message(a))
    }
    /// The 32 bytes.
    pub fn serialize(&self) -> [u8; 32] {
        self.0
    }
}

/// An ECDSA signature (r, s), each below the group order.
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub struct Signature {
    pub r: [u8; 32],
    pub s: [u8; 32],
}

impl Signature {
    /// r || s (64 bytes, big-endian); `InvalidSignature` if either is not below the order.
    pub fn parse_standard(p: &[u8; 64]) -> Result<Signature, Error> {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&p[..32]);
        s.copy_from_slice(&p[32..]);
        if !below_order(&r) || !below_order(&s) {
            return Err(Error::InvalidSignature);
        }
        Ok(Signature { r, s })
    }
    /// As `parse_standard` from a slice; `InvalidInputLength` unless 64 bytes.
    pub fn parse_standard_slice(p: &[u8]) -> Result<Signature, Error> {
        let a: &[u8; 64] = p.try_into().map_err(|_| Error::InvalidInputLength)?;
        Signature::parse_standard(a)
    }
    /// r || s with each reduced modulo the order (never fails).
    pub fn parse_overflowing(p: &[u8; 64]) -> Signature {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&p[..32]);
        s.copy_from_slice(&p[32..]);
        if !below_order(&r) {
            r = sub(&r, &ORDER);
        }
        if !below_order(&s) {
            s = sub(&s, &ORDER);
        }
        Signature { r, s }
    }
    /// r || s, 64 bytes.
    pub fn serialize(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.r);
        out[32..].copy_from_slice(&self.s);
        out
    }
    /// Replaces a high s (above n/2) by n - s, the signature's low-S twin.
    pub fn normalize_s(&mut self) {
        let half = {
            let mut h = [0u8; 32];
            let mut carry = 0u8;
            for i in 0..32 {
                h[i] = (carry << 7) | (ORDER[i] >> 1);
                carry = ORDER[i] & 1;
            }
            h
        };
        if self.s > half {
            self.s = sub(&ORDER, &self.s);
        }
    }
}

/// A recovery id, 0..=3.
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub struct RecoveryId(u8);

impl RecoveryId {
    /// `InvalidRecoveryId` unless `p` is 0..=3.
    pub fn parse(p: u8) -> Result<RecoveryId, Error> {
        if p < 4 { Ok(RecoveryId(p)) } else { Err(Error::InvalidRecoveryId) }
    }
    /// An Ethereum `v` (27..=30) as a recovery id.
    pub fn parse_rpc(p: u8) -> Result<RecoveryId, Error> {
        if (27..27 + 4).contains(&p) { RecoveryId::parse(p - 27) } else { Err(Error::InvalidRecoveryId) }
    }
    /// The id, 0..=3.
    pub fn serialize(&self) -> u8 {
        self.0
    }
}

impl From<RecoveryId> for u8 {
    fn from(r: RecoveryId) -> u8 {
        r.0
    }
}

impl From<RecoveryId> for i32 {
    fn from(r: RecoveryId) -> i32 {
        r.0 as i32
    }
}

/// The encodings `PublicKey::parse_slice` takes.
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub enum PublicKeyFormat {
    /// 33 bytes: 02/03 and x.
    Compressed,
    /// 65 bytes: 04 (or hybrid 06/07), x, y.
    Full,
    /// 64 bytes: x, y.
    Raw,
}

/// A public key (a point on the curve, checked by the host).
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub struct PublicKey([u8; 65]);

impl PublicKey {
    fn from_host(p: &[u8]) -> Result<PublicKey, Error> {
        let mut out = [0u8; 65];
        let rc = unsafe { host::secp256k1_pubkey_parse(p.as_ptr() as usize, p.len(), out.as_mut_ptr() as usize) };
        if rc == 0 { Ok(PublicKey(out)) } else { Err(Error::InvalidPublicKey) }
    }
    /// 65 bytes, 04 || x || y (or hybrid 06/07); `InvalidPublicKey` if not on the curve.
    pub fn parse(p: &[u8; 65]) -> Result<PublicKey, Error> {
        PublicKey::from_host(p)
    }
    /// 33 bytes, 02/03 || x; `InvalidPublicKey` if no point has that x.
    pub fn parse_compressed(p: &[u8; 33]) -> Result<PublicKey, Error> {
        PublicKey::from_host(p)
    }
    /// By length (33, 65 or 64 for `Raw`) or by the given format.
    pub fn parse_slice(p: &[u8], format: Option<PublicKeyFormat>) -> Result<PublicKey, Error> {
        let format = match (format, p.len()) {
            (Some(f), _) => f,
            (None, 33) => PublicKeyFormat::Compressed,
            (None, 65) => PublicKeyFormat::Full,
            (None, 64) => PublicKeyFormat::Raw,
            _ => return Err(Error::InvalidInputLength),
        };
        match (format, p.len()) {
            (PublicKeyFormat::Compressed, 33) | (PublicKeyFormat::Full, 65) => PublicKey::from_host(p),
            (PublicKeyFormat::Raw, 64) => {
                let mut full = [4u8; 65];
                full[1..].copy_from_slice(p);
                PublicKey::from_host(&full)
            }
            _ => Err(Error::InvalidInputLength),
        }
    }
    /// 65 bytes: 04 || x || y.
    pub fn serialize(&self) -> [u8; 65] {
        self.0
    }
    /// 33 bytes: 02 (y even) or 03 (y odd) || x.
    pub fn serialize_compressed(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        out[0] = 2 | (self.0[64] & 1);
        out[1..].copy_from_slice(&self.0[1..33]);
        out
    }
}

/// The public key that signed `message` with `signature` and `recovery_id`;
/// `InvalidSignature` if none does (r or s zero, no point with that r).
pub fn recover(message: &Message, signature: &Signature, recovery_id: &RecoveryId) -> Result<PublicKey, Error> {
    let sig = signature.serialize();
    let mut out = [0u8; 65];
    let rc = unsafe {
        host::secp256k1_recover(message.0.as_ptr() as usize, sig.as_ptr() as usize, recovery_id.0 as u32,
                                out.as_mut_ptr() as usize)
    };
    if rc == 0 { Ok(PublicKey(out)) } else { Err(Error::InvalidSignature) }
}

/// Whether `signature` is a valid ECDSA signature of `message` by `pubkey` (a high s
/// included, as the crate's `verify`).
pub fn verify(message: &Message, signature: &Signature, pubkey: &PublicKey) -> bool {
    let sig = signature.serialize();
    let rc = unsafe {
        host::secp256k1_verify(message.0.as_ptr() as usize, sig.as_ptr() as usize, pubkey.0.as_ptr() as usize, 65)
    };
    rc == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        let mut p = [0u8; 64];
        p[31] = 1;
        p[63] = 2;
        assert_eq!(Signature::parse_standard(&p).unwrap().serialize(), p);
        p[..32].copy_from_slice(&ORDER);
        assert_eq!(Signature::parse_standard(&p), Err(Error::InvalidSignature));
        let o = Signature::parse_overflowing(&p);
        assert_eq!(o.r, [0u8; 32]);
        p[..32].copy_from_slice(&sub(&ORDER, &[0u8; 31].iter().chain(&[1u8]).copied().collect::<Vec<_>>().try_into().unwrap()));
        assert!(Signature::parse_standard(&p).is_ok());
        let mut high = Signature { r: [1; 32], s: sub(&ORDER, &[1u8; 32]) };
        high.normalize_s();
        assert_eq!(high.s, [1u8; 32]);
        let mut low = Signature { r: [1; 32], s: [2; 32] };
        low.normalize_s();
        assert_eq!(low.s, [2u8; 32]);
        assert_eq!(RecoveryId::parse(3).unwrap().serialize(), 3);
        assert_eq!(RecoveryId::parse(4), Err(Error::InvalidRecoveryId));
        assert_eq!(RecoveryId::parse_rpc(28).unwrap().serialize(), 1);
        assert_eq!(RecoveryId::parse_rpc(26), Err(Error::InvalidRecoveryId));
        assert_eq!(RecoveryId::parse_rpc(31), Err(Error::InvalidRecoveryId));
        let mut k = [0u8; 65];
        k[0] = 4;
        k[1] = 0xaa;
        k[64] = 7;
        assert_eq!(PublicKey(k).serialize_compressed()[..2], [3, 0xaa]);
        assert_eq!(Error::InvalidSignature.to_string(), "Invalid signature");
    }
}
