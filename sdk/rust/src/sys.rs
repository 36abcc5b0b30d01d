//! The raw `fn0` imports (docs/guest-abi.md), one to one. Pointers are offsets into the
//! module's memory; lengths are `usize` (32 bits on wasm32). Negative returns are the
//! error codes of [`crate::error::HostError`]. Prefer the safe wrappers in `io`,
//! `crypto` and `time`.

#[cfg(target_arch = "wasm32")]
pub mod fn0 {
    #[link(wasm_import_module = "fn0")]
    extern "C" {
        /// Length of the invocation's input.
        pub fn input_data_size() -> usize;
        /// Copies input `[offset, offset+len)` to `dst`; 0 or -2.
        pub fn input_data_copy(dst: *mut u8, offset: usize, len: usize) -> i32;
        /// Appends `[ptr, ptr+len)` to the output; 0 or -2.
        pub fn output_data_append(ptr: *const u8, len: usize) -> i32;
        /// Discards the output written so far.
        pub fn output_data_clear();
        /// Writes the 111-byte xpub at `buf`; returns 111 or -2.
        pub fn shared_key_public(buf: *mut u8) -> i32;
        /// Unseals in place; returns the data length or -2, -5, -6, -7.
        pub fn shared_key_unseal(ptr: *mut u8, len: usize) -> i32;
        /// Derived public key (33 bytes at `buf`); `wasm` 0 = this module. 0 or -2, -3, -4.
        pub fn derived_key_public(wasm: *const u8, path: *const u8, path_len: usize,
                                  buf: *mut u8) -> i32;
        /// Unseals in place with the derived key; returns the length or -2, -3, -4, -7.
        pub fn derived_key_unseal(path: *const u8, path_len: usize, ptr: *mut u8,
                                  len: usize) -> i32;
        /// sgxkit's five-argument form: signs SHA-256(data), 65 bytes at `sig`.
        pub fn derived_key_sign(path: *const u8, path_len: usize, data: *const u8,
                                data_len: usize, sig: *mut u8) -> i32;
        /// Host time, seconds since the epoch (untrusted).
        pub fn insecure_systemtime() -> u64;
        /// Writes `[ptr, ptr+len)` to the debug log.
        pub fn debug_print(ptr: *const u8, len: usize);
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
    pub unsafe fn input_data_copy(_: *mut u8, _: usize, _: usize) -> i32 { absent() }
    pub unsafe fn output_data_append(_: *const u8, _: usize) -> i32 { absent() }
    pub unsafe fn output_data_clear() { absent() }
    pub unsafe fn shared_key_public(_: *mut u8) -> i32 { absent() }
    pub unsafe fn shared_key_unseal(_: *mut u8, _: usize) -> i32 { absent() }
    pub unsafe fn derived_key_public(_: *const u8, _: *const u8, _: usize, _: *mut u8) -> i32 {
        absent()
    }
    pub unsafe fn derived_key_unseal(_: *const u8, _: usize, _: *mut u8, _: usize) -> i32 {
        absent()
    }
    pub unsafe fn derived_key_sign(_: *const u8, _: usize, _: *const u8, _: usize,
                                   _: *mut u8) -> i32 {
        absent()
    }
    pub unsafe fn insecure_systemtime() -> u64 { absent() }
    pub unsafe fn debug_print(_: *const u8, _: usize) { absent() }
}
