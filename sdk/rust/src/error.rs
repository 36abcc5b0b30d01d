//! `HostError`: the negative codes of the fn0 host functions (docs/guest-abi.md), with
//! sgxkit's variant names, values (`#[repr(i32)]`), messages and `io::Error` kinds.
//! Converts into `std::io::Error` so `?` works in `io::Read`/`Write`.
use std::fmt;

/// An error returned by a host function; the discriminant is the host's code.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum HostError {
    /// Insufficient balance for call
    InsufficientBalance = -1,
    /// Specified pointers were out of bounds
    OutOfBounds = -2,
    /// Invalid key derivation path
    KeyDerivationInvalidPath = -3,
    /// Key derivation error
    KeyDerivation = -4,
    /// Invalid permission header for shared key
    UnsealInvalidPermissionHeader = -5,
    /// Current wasm is not approved to access global content
    UnsealPermissionDenied = -6,
    /// Sealed data could not be decrypted
    UnsealFailed = -7,
    /// Unexpected error
    #[default]
    Unexpected = -99,
}

impl HostError {
    /// The variant whose code is `value` (sgxkit's `FromRepr`), `None` for other values.
    pub fn from_repr(value: i32) -> Option<Self> {
        match value {
            -1 => Some(HostError::InsufficientBalance),
            -2 => Some(HostError::OutOfBounds),
            -3 => Some(HostError::KeyDerivationInvalidPath),
            -4 => Some(HostError::KeyDerivation),
            -5 => Some(HostError::UnsealInvalidPermissionHeader),
            -6 => Some(HostError::UnsealPermissionDenied),
            -7 => Some(HostError::UnsealFailed),
            -99 => Some(HostError::Unexpected),
            _ => None,
        }
    }

    /// `Ok(value)` for a non-negative host return, else the error. A negative code with
    /// no variant is `Unexpected` (sgxkit passed such codes through as `Ok`).
    #[must_use = "host errors should be used"]
    pub fn result(value: i32) -> Result<i32, Self> {
        if value >= 0 {
            return Ok(value);
        }
        Err(HostError::from_repr(value).unwrap_or(HostError::Unexpected))
    }

    /// The code as the host returns it (negative); an esgx addition.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// sgxkit's `EnumMessage::get_documentation`: the variant's description.
    pub fn get_documentation(&self) -> Option<&'static str> {
        Some(match self {
            HostError::InsufficientBalance => "Insufficient balance for call",
            HostError::OutOfBounds => "Specified pointers were out of bounds",
            HostError::KeyDerivationInvalidPath => "Invalid key derivation path",
            HostError::KeyDerivation => "Key derivation error",
            HostError::UnsealInvalidPermissionHeader => "Invalid permission header for shared key",
            HostError::UnsealPermissionDenied => {
                "Current wasm is not approved to access global content"
            }
            HostError::UnsealFailed => "Sealed data could not be decrypted",
            HostError::Unexpected => "Unexpected error",
        })
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get_documentation().unwrap_or(""))
    }
}

impl std::error::Error for HostError {}

impl From<HostError> for std::io::Error {
    fn from(value: HostError) -> std::io::Error {
        let kind = match value {
            HostError::KeyDerivationInvalidPath => std::io::ErrorKind::InvalidInput,
            HostError::UnsealInvalidPermissionHeader => std::io::ErrorKind::InvalidData,
            HostError::UnsealPermissionDenied => std::io::ErrorKind::PermissionDenied,
            HostError::InsufficientBalance
            | HostError::OutOfBounds
            | HostError::KeyDerivation
            | HostError::UnsealFailed
            | HostError::Unexpected => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::HostError;

    #[test]
    fn codes_as_sgxkit() {
        assert_eq!(HostError::result(7), Ok(7));
        assert_eq!(HostError::result(0), Ok(0));
        assert_eq!(HostError::result(-6), Err(HostError::UnsealPermissionDenied));
        assert_eq!(HostError::result(-8), Err(HostError::Unexpected));
        assert_eq!(HostError::UnsealFailed as i32, -7);
        assert_eq!(HostError::default(), HostError::Unexpected);
        assert_eq!(HostError::UnsealFailed.to_string(), "Sealed data could not be decrypted");
        let e: std::io::Error = HostError::UnsealPermissionDenied.into();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
    }
}
