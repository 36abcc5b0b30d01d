//! unseal_derived: decrypts its input, sealed to this module's derived key at host path
//! bytes ab 12 (`esgx encrypt wasm --pubkey XPUB --path ab12 HASH data`), and outputs
//! it; on failure outputs "error: MESSAGE (CODE)".
use std::io::Write;

use esgx::crypto::DerivedKey;
use esgx::io::{get_input_data, output_writer};

#[esgx::main]
fn main() {
    let key = DerivedKey::from_path_bytes(&[0xab, 0x12]).unwrap();
    // sgxkit's encoding, kept for ported programs: the u16 0x12ab lies in memory as ab 12
    assert_eq!(key.public_key(), DerivedKey::new(&[0x12ab]).unwrap().public_key());
    let mut data = get_input_data().unwrap();
    let mut out = output_writer();
    match key.unseal(&mut data) {
        Ok(()) => out.write_all(&data).unwrap(),
        Err(e) => write!(out, "error: {} ({})", e, e.code()).unwrap(),
    }
}
