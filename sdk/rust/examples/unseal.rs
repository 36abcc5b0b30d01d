//! unseal: decrypts its input, data sealed to the network key with an approved-wasm
//! header listing this module (`esgx encrypt shared --pubkey XPUB data HASH`), and
//! outputs it; on failure outputs "error: MESSAGE (CODE)".
use std::io::Write;

use esgx::crypto::SharedKey;
use esgx::io::{get_input_data, output_writer};

#[esgx::main]
fn main() {
    let mut data = get_input_data().unwrap();
    let mut out = output_writer();
    match SharedKey::unseal(&mut data) {
        Ok(()) => out.write_all(&data).unwrap(),
        Err(e) => write!(out, "error: {} ({})", e, e.code()).unwrap(),
    }
}
