//! esgx: write esgx functions (WebAssembly guests) in Rust, with the standard library and
//! nothing else.
//!
//! A function is a bin crate built for `wasm32-unknown-unknown`; its ordinary `fn main()`
//! is exported by rustc as `main` of type `(i32, i32) -> i32`, which is the entry a node
//! (and `esgx run`) calls. The modules and names are those of Fleek's `sgxkit`, so a
//! program ports by renaming the crate in Cargo.toml (docs/sdk-porting.md):
//!
//! ```ignore
//! use std::io::Write;
//! use esgx::io::{get_input_data_string, output_writer};
//!
//! #[esgx::main]
//! fn main() {
//!     let name = get_input_data_string().unwrap();
//!     write!(output_writer(), "Hello, {}!", name).unwrap();
//! }
//! ```
//!
//! Design: `sys::fn0` declares the raw imports of module `fn0` (docs/guest-abi.md);
//! every safe wrapper turns a negative return into an [`error::HostError`]. The public
//! items, their signatures and error values are sgxkit's (at lightning a7880afa); the
//! additions are listed in docs/sdk-porting.md. On targets
//! other than wasm32 the imports are replaced by stubs that panic, so the pure helpers
//! (`hex`, `json`) can be unit-tested with a plain `cargo test`.

pub mod base64;
pub mod blake3;
pub mod crypto;
pub mod error;
pub mod hex;
pub mod io;
pub mod json;
pub mod keccak;
pub mod libsecp256k1;
pub mod panic;
pub mod sys;
pub mod time;

pub use error::HostError;
/// `#[main]` (`#[esgx::main]`, or `#[sgxkit::main]` with the crate renamed) on `fn main`:
/// renames it `_main` and adds a `main` that installs [`panic::set_default_hook`] and
/// calls it; a `main` returning a `Result` panics with `Error: {e}` on `Err`.
pub use esgx_macros::main;

/// The older name of [`panic::set_default_hook`].
pub fn set_panic_hook() {
    panic::set_default_hook();
}

/// Like `std::println!`, to the debug log (`debug_print`): shown by `esgx run` on stderr
/// and by a node started with `--debug`; costs fuel but is discarded otherwise. Off
/// wasm32 (host-side tests) it is `std::println!`.
#[macro_export]
macro_rules! println {
    () => {
        #[cfg(target_arch = "wasm32")]
        $crate::io::debug_print("\n");
        #[cfg(not(target_arch = "wasm32"))]
        ::std::println!();
    };
    ($($arg:tt)*) => {
        #[cfg(target_arch = "wasm32")]
        $crate::io::debug_print(::std::format!($($arg)*));
        #[cfg(not(target_arch = "wasm32"))]
        ::std::println!($($arg)*);
    };
}
