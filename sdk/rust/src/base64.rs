//! Standard base64 (RFC 4648, `+/`, `=` padding), shaped like the parts of the `base64`
//! crate (0.22) that sgxkit's examples use: `use esgx::base64; use base64::Engine;
//! use base64::prelude::BASE64_STANDARD;` then `BASE64_STANDARD.encode(..)` /
//! `.decode(..)`. Decoding is strict, as the crate's standard engine: padding required,
//! no whitespace, no non-zero trailing bits.
use std::fmt;

/// Why a string is not standard base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A byte outside the alphabet (or misplaced padding) at this offset.
    InvalidByte(usize, u8),
    /// A length that is not a multiple of four.
    InvalidLength(usize),
    /// The last symbol has bits set that no byte uses.
    InvalidLastSymbol(usize, u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::InvalidByte(i, b) => write!(f, "Invalid symbol {}, offset {}.", b, i),
            DecodeError::InvalidLength(n) => write!(f, "Invalid input length {}.", n),
            DecodeError::InvalidLastSymbol(i, b) => {
                write!(f, "Invalid last symbol {}, offset {}.", b, i)
            }
        }
    }
}

impl std::error::Error for DecodeError {}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// An encoding; the only one here is [`prelude::BASE64_STANDARD`].
pub trait Engine {
    /// `input` in base64 with padding.
    fn encode<T: AsRef<[u8]>>(&self, input: T) -> String {
        let b = input.as_ref();
        let mut out = String::with_capacity((b.len() + 2) / 3 * 4);
        for chunk in b.chunks(3) {
            let n = (chunk[0] as u32) << 16
                | (*chunk.get(1).unwrap_or(&0) as u32) << 8
                | *chunk.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// The bytes `input` encodes.
    fn decode<T: AsRef<[u8]>>(&self, input: T) -> Result<Vec<u8>, DecodeError> {
        let t = input.as_ref();
        if t.len() % 4 != 0 {
            return Err(DecodeError::InvalidLength(t.len()));
        }
        let mut out = Vec::with_capacity(t.len() / 4 * 3);
        for (q, quad) in t.chunks(4).enumerate() {
            let last = q + 1 == t.len() / 4;
            let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 || (pad > 0 && !last) {
                let i = quad.iter().position(|&c| c == b'=').unwrap_or(0);
                return Err(DecodeError::InvalidByte(4 * q + i, b'='));
            }
            let mut n = 0u32;
            for (i, &c) in quad[..4 - pad].iter().enumerate() {
                let v = match ALPHABET.iter().position(|&a| a == c) {
                    Some(v) => v as u32,
                    None => return Err(DecodeError::InvalidByte(4 * q + i, c)),
                };
                n |= v << (18 - 6 * i);
            }
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            let keep = 3 - pad;
            if bytes[keep..].iter().any(|&b| b != 0) {
                return Err(DecodeError::InvalidLastSymbol(4 * q + 3 - pad, quad[3 - pad]));
            }
            out.extend_from_slice(&bytes[..keep]);
        }
        Ok(out)
    }
}

/// The standard alphabet with padding.
#[derive(Debug, Clone, Copy)]
pub struct GeneralPurpose(());

impl Engine for GeneralPurpose {}

/// `STANDARD` as in the `base64` crate's `engine::general_purpose`.
pub mod engine {
    /// The general-purpose engines.
    pub mod general_purpose {
        /// Standard alphabet, padded.
        pub const STANDARD: super::super::GeneralPurpose = super::super::GeneralPurpose(());
    }
}

/// `use base64::prelude::*` as in the `base64` crate.
pub mod prelude {
    pub use super::Engine;
    /// Standard alphabet, padded.
    pub const BASE64_STANDARD: super::GeneralPurpose = super::engine::general_purpose::STANDARD;
}

#[cfg(test)]
mod tests {
    use super::prelude::*;
    use super::DecodeError;

    #[test]
    fn rfc4648_vectors() {
        for (plain, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
                             ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(BASE64_STANDARD.encode(plain), enc);
            assert_eq!(BASE64_STANDARD.decode(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(BASE64_STANDARD.decode("Zm9").unwrap_err(), DecodeError::InvalidLength(3));
        assert!(BASE64_STANDARD.decode("Zm=v").is_err());
        assert!(BASE64_STANDARD.decode("Zh==").is_err());
        assert!(BASE64_STANDARD.decode("Zm9v\n").is_err());
    }
}
