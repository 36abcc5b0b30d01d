//! Keys (sgxkit's `crypto` module): `SharedKey`, the network's key (only its xpub and
//! unsealing of data approved for this module), and `DerivedKey`, this module's own
//! secp256k1 keys derived from it (docs/formats.md#derived-keys). Secret keys never
//! enter the guest: the host signs and decrypts.
//!
//! Path encoding, as sgxkit: a path is a list of u16 and the host receives their bytes
//! as they lie in (little-endian) wasm memory, while it reads the path as big-endian
//! u16s. So a program ported from sgxkit derives the same keys, and
//! `DerivedKey::new(&[1])` is host path bytes `01 00`. To name the host path bytes
//! directly (the `--path HEX` of `esgx encrypt wasm`), use `DerivedKey::from_path_bytes`.
//!
//! Signing, as sgxkit: `sign` takes a raw 32-byte digest (the four-argument host call),
//! `sign_eth` hashes with Keccak-256 in the guest and answers Ethereum's 0x-hex with
//! v = 27/28; `sign_data` (esgx) keeps the older host-hashed SHA-256 form reachable.
use std::sync::Once;

use crate::error::HostError;
use crate::hex;
use crate::keccak::{Digest, Keccak256};
use crate::sys::fn0;

/// At most 128 path elements (256 bytes).
pub const MAX_PATH_ELEMENTS: usize = 128;

/// A key of this module, named by its derivation path below the module's root key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DerivedKey {
    path: Vec<u16>,
}

impl DerivedKey {
    /// The module's root derived key (empty path).
    pub fn root() -> Self {
        DerivedKey { path: Vec::new() }
    }

    /// The key at `path`; `None` over 128 elements.
    pub fn new(path: &[u16]) -> Option<Self> {
        if path.len() > MAX_PATH_ELEMENTS {
            return None;
        }
        Some(DerivedKey { path: path.to_vec() })
    }

    /// sgxkit's `from_slice`: each byte pair read as a big-endian u16; `None` for an odd
    /// length or over 256 bytes.
    pub fn from_slice(path: &[u8]) -> Option<Self> {
        if path.len() % 2 != 0 || path.len() > 2 * MAX_PATH_ELEMENTS {
            return None;
        }
        let path = path.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
        Some(DerivedKey { path })
    }

    /// The key whose path, as the host sees it, is exactly `bytes` (as
    /// `esgx encrypt wasm --path HEX` names it); `None` for an odd length or over 256.
    pub fn from_path_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() % 2 != 0 || bytes.len() > 2 * MAX_PATH_ELEMENTS {
            return None;
        }
        let path = bytes.chunks(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
        Some(DerivedKey { path })
    }

    /// This key's child at `child_path`; `None` if the whole path would pass 128.
    pub fn with_child_path(mut self, child_path: &[u16]) -> Option<Self> {
        if self.path.len() + child_path.len() > MAX_PATH_ELEMENTS {
            return None;
        }
        self.path.extend_from_slice(child_path);
        Some(self)
    }

    /// The path elements.
    pub fn path(&self) -> &[u16] {
        &self.path
    }

    fn path_ptr(&self) -> (usize, usize) {
        (self.path.as_ptr() as usize, self.path.len() * 2)
    }

    /// Signs the raw 32-byte `digest` (secp256k1 ECDSA, RFC 6979, low-S): r (32) + s (32)
    /// + recovery id (0 or 1), as sgxkit. Anyone can check it against `public_key()`.
    pub fn sign(&self, digest: [u8; 32]) -> Result<[u8; 65], HostError> {
        let mut buf = [0u8; 65];
        let (p, n) = self.path_ptr();
        // SAFETY: path, digest (32 bytes) and buf (65 bytes) are valid for the call.
        let rc = unsafe {
            fn0::derived_key_sign(p, n, digest.as_ptr() as usize, buf.as_mut_ptr() as usize)
        };
        HostError::result(rc)?;
        Ok(buf)
    }

    /// Signs `data` as Ethereum does: the digest is Keccak-256(`data`) (no message
    /// prefix added), the answer `0x` + hex of r (32) + s (32) + v, v = recovery id + 27.
    pub fn sign_eth(&self, data: &[u8]) -> Result<String, HostError> {
        let mut buf = self.sign(Keccak256::digest(data))?;
        buf[64] += 27;
        Ok(format!("0x{}", hex::encode(&buf)))
    }

    /// An esgx addition: signs SHA-256(`data`), hashed by the host (the older
    /// five-argument `derived_key_sign`); 65 bytes as [`DerivedKey::sign`]. A module
    /// uses either this or `sign`/`sign_eth`, not both (one import name, two types).
    pub fn sign_data(&self, data: &[u8]) -> Result<[u8; 65], HostError> {
        let mut buf = [0u8; 65];
        let (p, n) = self.path_ptr();
        // SAFETY: path, data and buf are valid for the lengths given.
        let rc = unsafe {
            fn0::derived_key_sign_data(p, n, data.as_ptr() as usize, data.len(),
                                       buf.as_mut_ptr() as usize)
        };
        HostError::result(rc)?;
        Ok(buf)
    }

    /// Decrypts in place ECIES ciphertext made for this key (e.g. by
    /// `esgx encrypt wasm`) and truncates `cipher` to the plaintext. No approval header:
    /// only this module can open it.
    pub fn unseal(&self, cipher: &mut Vec<u8>) -> Result<(), HostError> {
        let (p, n) = self.path_ptr();
        // SAFETY: cipher is writable for its length; the host writes at most that much.
        let rc = unsafe { fn0::derived_key_unseal(p, n, cipher.as_mut_ptr() as usize, cipher.len()) };
        let len = HostError::result(rc)?;
        cipher.truncate(len as usize);
        Ok(())
    }

    /// The 33-byte compressed public key of this key.
    pub fn public_key(&self) -> Result<[u8; 33], HostError> {
        let mut key = [0u8; 33];
        let (p, n) = self.path_ptr();
        // SAFETY: a null wasm pointer means "this module"; path and key are valid.
        let rc = unsafe { fn0::derived_key_public(0, p, n, key.as_mut_ptr() as usize) };
        HostError::result(rc)?;
        Ok(key)
    }

    /// The public key of another module (by its 32-byte hash) at `path`.
    pub fn external_public_key(wasm: [u8; 32], path: &[u16]) -> Result<[u8; 33], HostError> {
        if path.len() > MAX_PATH_ELEMENTS {
            return Err(HostError::KeyDerivationInvalidPath);
        }
        let mut key = [0u8; 33];
        // SAFETY: wasm, path and key are valid for the lengths given.
        let rc = unsafe {
            fn0::derived_key_public(wasm.as_ptr() as usize, path.as_ptr() as usize, path.len() * 2,
                                    key.as_mut_ptr() as usize)
        };
        HostError::result(rc)?;
        Ok(key)
    }
}

/// The network's shared key.
pub struct SharedKey;

impl SharedKey {
    /// The network's extended public key (BIP32 xpub, 111 characters of base58).
    pub fn public_key() -> &'static str {
        static ONCE: Once = Once::new();
        static mut XPUB: [u8; 111] = [0; 111];
        // SAFETY: XPUB is written once, under ONCE, before any read.
        unsafe {
            ONCE.call_once(|| {
                fn0::shared_key_public(XPUB.as_mut_ptr() as usize);
            });
            std::str::from_utf8(&XPUB).unwrap_or("")
        }
    }

    /// Decrypts in place data sealed to the network key with an approved-wasm header
    /// listing this module (`esgx encrypt shared`), and truncates `data` to the content
    /// (header removed). Errors: `UnsealInvalidPermissionHeader`, `UnsealPermissionDenied`,
    /// `UnsealFailed`.
    pub fn unseal(data: &mut Vec<u8>) -> Result<(), HostError> {
        // SAFETY: data is writable for its length; the host writes at most that much.
        let rc = unsafe { fn0::shared_key_unseal(data.as_mut_ptr() as usize, data.len()) };
        let len = HostError::result(rc)?;
        data.truncate(len as usize);
        Ok(())
    }
}
