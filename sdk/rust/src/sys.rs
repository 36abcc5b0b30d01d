//! The raw `fn0` imports (docs/guest-abi.md), one to one, with sgxkit-sys's Rust
//! signatures: addresses are `usize` offsets into the module's memory (32 bits on
//! wasm32). Negative returns are the error codes of [`crate::error::HostError`]. Prefer
//! the safe wrappers in `io`, `crypto` and `time`.
//!
//! `derived_key_sign` is the four-argument form sgxkit declares (sign a raw 32-byte
//! digest). The older five-argument form (the host hashes the data with SHA-256) is
//! `derived_key_sign_data` here, an esgx addition; both are the host's
//! `fn0.derived_key_sign`, told apart by the import's type, so one module can import
//! only one of them.

#[cfg(target_arch = "wasm32")]
pub mod fn0 {
    #[link(wasm_import_module = "fn0")]
    extern "C" {
        /// Length of the invocation's input.
        pub fn input_data_size() -> usize;
        /// Copies input `[offset, offset+size)` to `dst`; 0 or -2.
        pub fn input_data_copy(dst: usize, offset: usize, size: usize) -> i32;
        /// Appends `[ptr, ptr+len)` to the output; 0 or -2.
        pub fn output_data_append(ptr: usize, len: usize) -> i32;
        /// Discards the output written so far.
        pub fn output_data_clear();
        /// Writes the 111-byte xpub at `buf_ptr`; returns 111 or -2.
        pub fn shared_key_public(buf_ptr: usize) -> i32;
        /// Unseals in place; returns the data length or -2, -5, -6, -7.
        pub fn shared_key_unseal(data_ptr: usize, data_len: usize) -> i32;
        /// Derived public key (33 bytes at `buf_ptr`); `wasm_ptr` 0 = this module.
        /// 0 or -2, -3, -4.
        pub fn derived_key_public(wasm_ptr: usize, path_ptr: usize, path_len: usize,
                                  buf_ptr: usize) -> i32;
        /// Unseals in place with the derived key; returns the length or -2, -3, -4, -7.
        pub fn derived_key_unseal(path_ptr: usize, path_len: usize, data_ptr: usize,
                                  data_len: usize) -> i32;
        /// Signs the 32-byte digest at `data_ptr`; 65 bytes (r, s, recovery id 0/1) at
        /// `signature_buf_ptr`. 0 or -2, -3, -4.
        pub fn derived_key_sign(path_ptr: usize, path_len: usize, data_ptr: usize,
                                signature_buf_ptr: usize) -> i32;
        /// Host time, seconds since the epoch (untrusted).
        pub fn insecure_systemtime() -> u64;
        /// Writes `[ptr, ptr+len)` to the debug log.
        pub fn debug_print(ptr: usize, len: usize);
    }

    #[link(wasm_import_module = "fn0")]
    extern "C" {
        /// The five-argument `fn0.derived_key_sign`: signs SHA-256 of
        /// `[data_ptr, data_ptr+data_len)`; 65 bytes at `signature_buf_ptr`.
        #[link_name = "derived_key_sign"]
        pub fn derived_key_sign_data(path_ptr: usize, path_len: usize, data_ptr: usize,
                                     data_len: usize, signature_buf_ptr: usize) -> i32;
    }
}

/// Stand-ins off wasm32 (host-side `cargo test` of the pure helpers): every call panics.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc)]
pub mod fn0 {
    fn absent() -> ! {
        panic!("esgx: the fn0 host functions exist only in a wasm32 guest")
    }
    pub unsafe fn input_data_size() -> usize { absent() }
    pub unsafe fn input_data_copy(_: usize, _: usize, _: usize) -> i32 { absent() }
    pub unsafe fn output_data_append(_: usize, _: usize) -> i32 { absent() }
    pub unsafe fn output_data_clear() { absent() }
    pub unsafe fn shared_key_public(_: usize) -> i32 { absent() }
    pub unsafe fn shared_key_unseal(_: usize, _: usize) -> i32 { absent() }
    pub unsafe fn derived_key_public(_: usize, _: usize, _: usize, _: usize) -> i32 { absent() }
    pub unsafe fn derived_key_unseal(_: usize, _: usize, _: usize, _: usize) -> i32 { absent() }
    pub unsafe fn derived_key_sign(_: usize, _: usize, _: usize, _: usize) -> i32 { absent() }
    pub unsafe fn derived_key_sign_data(_: usize, _: usize, _: usize, _: usize, _: usize) -> i32 {
        absent()
    }
    pub unsafe fn insecure_systemtime() -> u64 { absent() }
    pub unsafe fn debug_print(_: usize, _: usize) { absent() }
}

/// The raw imports of the host's `esgx` module (docs/guest-abi.md): secp256k1 public-key
/// operations, used by [`crate::libsecp256k1`]. 0 (or 1/0 for verify) on success; -2
/// out of bounds, -8 bad signature, -9 bad public key.
#[cfg(target_arch = "wasm32")]
pub mod esgx {
    #[link(wasm_import_module = "esgx")]
    extern "C" {
        /// Recovers the key of signature r || s (64 bytes) with `recid` over the 32-byte
        /// digest; 65 uncompressed bytes at `out_ptr`. 0, -2, -8.
        pub fn secp256k1_recover(digest_ptr: usize, sig_ptr: usize, recid: u32, out_ptr: usize) -> i32;
        /// 1 if r || s signs the digest for the public key (33 or 65 bytes), else 0; -2, -9.
        pub fn secp256k1_verify(digest_ptr: usize, sig_ptr: usize, pubkey_ptr: usize,
                                pubkey_len: usize) -> i32;
        /// Checks a 33- or 65-byte public key; 65 uncompressed bytes at `out_ptr`. 0, -2, -9.
        pub fn secp256k1_pubkey_parse(in_ptr: usize, in_len: usize, out_ptr: usize) -> i32;
    }
}

/// Stand-ins off wasm32: every call panics.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc)]
pub mod esgx {
    fn absent() -> ! {
        panic!("esgx: the esgx host functions exist only in a wasm32 guest")
    }
    pub unsafe fn secp256k1_recover(_: usize, _: usize, _: u32, _: usize) -> i32 { absent() }
    pub unsafe fn secp256k1_verify(_: usize, _: usize, _: usize, _: usize) -> i32 { absent() }
    pub unsafe fn secp256k1_pubkey_parse(_: usize, _: usize, _: usize) -> i32 { absent() }
}
