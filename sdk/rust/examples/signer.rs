//! signer: signs its input (SHA-256 of the bytes) with this module's root derived key
//! and answers {"public_key": HEX33, "signature": HEX65, "xpub": XPUB}; anyone can check
//! the signature against the public key, and derive that key from the xpub and this
//! module's hash alone.
use std::io::Write;

use esgx::crypto::{DerivedKey, SharedKey};
use esgx::io::{get_input_data, output_writer};
use esgx::{hex, json};

#[esgx::main]
fn main() {
    let data = get_input_data().unwrap();
    esgx::println!("signer: {} bytes", data.len());
    let key = DerivedKey::root();
    let sig = key.sign_data(&data).unwrap();
    let public = key.public_key().unwrap();
    let out = json::Writer::new()
        .string("public_key", &hex::encode(&public))
        .string("signature", &hex::encode(&sig))
        .string("xpub", SharedKey::public_key())
        .finish();
    output_writer().write_all(out.as_bytes()).unwrap();
}
