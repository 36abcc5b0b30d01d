//! Panic handling (sgxkit's `panic` module): the default hook replaces the function's
//! output with the panic message (`panicked at 'MESSAGE', FILE:LINE:COL`) and, an esgx
//! addition, writes it to the debug log. wasm32 panics abort, so the run then ends with
//! a trap (`unreachable`) and a node answers with an error, not the partial output.
use std::panic::PanicInfo;

use crate::sys::fn0;

/// Clears the output and writes the panic message into it (and to the debug log).
pub fn default_panic_hook(info: &PanicInfo) {
    let text = info.to_string();
    crate::io::debug_print(&text);
    // SAFETY: the address and length describe `text`, alive for the calls.
    unsafe {
        fn0::output_data_clear();
        fn0::output_data_append(text.as_ptr() as usize, text.len());
    }
}

/// Installs [`default_panic_hook`]; `#[main]` calls it before the body of `main`.
pub fn set_default_hook() {
    std::panic::set_hook(Box::new(default_panic_hook));
}

/// What `#[main]` calls: a symbol rather than a path, so the attribute works whatever
/// name the depending crate gives this one (`sgxkit = { package = "esgx", ... }`).
#[doc(hidden)]
#[no_mangle]
pub extern "Rust" fn __esgx_set_default_hook() {
    set_default_hook();
}
