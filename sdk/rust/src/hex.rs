//! Lower-case hex encoding and decoding (for keys, digests and signatures), shaped like
//! the `hex` crate that sgxkit code uses (`encode(T: AsRef<[u8]>)`, `decode` returning a
//! `Result`), so `use esgx::hex;` stands in for it.
use std::fmt;

/// Why a string is not hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromHexError {
    /// A character that is not a hex digit, and where it is.
    InvalidHexCharacter { c: char, index: usize },
    /// An odd number of digits.
    OddLength,
}

impl fmt::Display for FromHexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FromHexError::InvalidHexCharacter { c, index } => {
                write!(f, "Invalid character {:?} at position {}", c, index)
            }
            FromHexError::OddLength => f.write_str("Odd number of digits"),
        }
    }
}

impl std::error::Error for FromHexError {}

/// Hex of `data`, two lower-case digits per byte.
pub fn encode<T: AsRef<[u8]>>(data: T) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let bytes = data.as_ref();
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The bytes of an even-length hex string (either case).
pub fn decode<T: AsRef<[u8]>>(data: T) -> Result<Vec<u8>, FromHexError> {
    fn nibble(t: &[u8], index: usize) -> Result<u8, FromHexError> {
        let c = t[index];
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(FromHexError::InvalidHexCharacter { c: c as char, index }),
        }
    }
    let t = data.as_ref();
    if t.len() % 2 != 0 {
        return Err(FromHexError::OddLength);
    }
    (0..t.len() / 2).map(|i| Ok(nibble(t, 2 * i)? << 4 | nibble(t, 2 * i + 1)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::FromHexError;

    #[test]
    fn round_trip() {
        assert_eq!(super::encode([0u8, 0xab, 0xff]), "00abff");
        assert_eq!(super::decode("00ABff"), Ok(vec![0, 0xab, 0xff]));
        assert_eq!(super::decode("0"), Err(FromHexError::OddLength));
        assert_eq!(super::decode("0z"),
                   Err(FromHexError::InvalidHexCharacter { c: 'z', index: 1 }));
    }
}
