//! `HostError`: the negative codes of the fn0 host functions (docs/guest-abi.md), with
//! sgxkit's meanings. Converts into `std::io::Error` so `?` works in `io::Read`/`Write`.
use std::fmt;

/// An error returned by a host function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostError {
    /// -1: out of fuel (documented for compatibility; esgx traps instead).
    OutOfFuel,
    /// -2: a memory range or the input range is out of bounds.
    OutOfBounds,
    /// -3: derivation path of odd length or over 256 bytes.
    InvalidPath,
    /// -4: key derivation failed.
    KeyDerivation,
    /// -5: shared_key_unseal: no valid approved-wasm header.
    InvalidHeader,
    /// -6: shared_key_unseal: this module is not in the approved list.
    NotApproved,
    /// -7: decryption failed (wrong key, corrupted or too short).
    Decryption,
    /// -99 or any other negative code.
    Unexpected(i32),
}

impl HostError {
    /// The code as the host returns it (negative).
    pub fn code(self) -> i32 {
        match self {
            HostError::OutOfFuel => -1,
            HostError::OutOfBounds => -2,
            HostError::InvalidPath => -3,
            HostError::KeyDerivation => -4,
            HostError::InvalidHeader => -5,
            HostError::NotApproved => -6,
            HostError::Decryption => -7,
            HostError::Unexpected(c) => c,
        }
    }

    /// The error for a negative code.
    pub fn from_code(code: i32) -> HostError {
        match code {
            -1 => HostError::OutOfFuel,
            -2 => HostError::OutOfBounds,
            -3 => HostError::InvalidPath,
            -4 => HostError::KeyDerivation,
            -5 => HostError::InvalidHeader,
            -6 => HostError::NotApproved,
            -7 => HostError::Decryption,
            c => HostError::Unexpected(c),
        }
    }

    /// `Ok(value)` for a non-negative return, else the error.
    pub fn result(ret: i32) -> Result<u32, HostError> {
        if ret < 0 { Err(HostError::from_code(ret)) } else { Ok(ret as u32) }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            HostError::OutOfFuel => "out of fuel",
            HostError::OutOfBounds => "out of bounds",
            HostError::InvalidPath => "invalid derivation path",
            HostError::KeyDerivation => "key derivation failed",
            HostError::InvalidHeader => "invalid approved-wasm header",
            HostError::NotApproved => "this module is not approved for the data",
            HostError::Decryption => "decryption failed",
            HostError::Unexpected(_) => "unexpected host error",
        };
        write!(f, "{} ({})", what, self.code())
    }
}

impl std::error::Error for HostError {}

impl From<HostError> for std::io::Error {
    fn from(e: HostError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::Other, e)
    }
}
