//! esgx: write esgx functions (WebAssembly guests) in Rust, with the standard library and
//! nothing else.
//!
//! A function is a bin crate built for `wasm32-unknown-unknown`; its ordinary `fn main()`
//! is exported by rustc as `main` of type `(i32, i32) -> i32`, which is the entry a node
//! (and `esgx run`) calls. The modules and names are those of Fleek's `sgxkit`, so a
//! program ports by changing its `use` lines (docs/sdk-porting.md):
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
//! every safe wrapper turns a negative return into an [`error::HostError`]. On targets
//! other than wasm32 the imports are replaced by stubs that panic, so the pure helpers
//! (`hex`, `json`) can be unit-tested with a plain `cargo test`.

pub mod crypto;
pub mod error;
pub mod hex;
pub mod io;
pub mod json;
pub mod sys;
pub mod time;

pub use error::HostError;
/// `#[esgx::main]` on `fn main` installs [`set_panic_hook`] first (as `#[sgxkit::main]`).
pub use esgx_macros::main;

/// Installs a panic hook that replaces the function's output with the panic message
/// (`panicked at 'MESSAGE', FILE:LINE:COL`) and writes it to the debug log too. The run
/// then stops with a trap (`unreachable`: wasm32 panics abort). `#[esgx::main]` calls it.
pub fn set_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let text = info.to_string();
        io::debug_print(&text);
        // SAFETY: the pointer and length describe `text`, alive for the call.
        unsafe {
            sys::fn0::output_data_clear();
            sys::fn0::output_data_append(text.as_ptr(), text.len());
        }
    }));
}

/// Like `std::println!`, to the debug log (`debug_print`): shown by `esgx run` on stderr
/// and by a node started with `--debug`; costs fuel but is discarded otherwise.
#[macro_export]
macro_rules! println {
    () => { $crate::io::debug_print("") };
    ($($arg:tt)*) => { $crate::io::debug_print(&::std::format!($($arg)*)) };
}
