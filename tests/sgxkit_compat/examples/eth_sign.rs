//! eth_sign: signs its input with the root derived key through sgxkit's two signing
//! calls and answers JSON {"public_key", "keccak", "signature_eth", "signature_raw",
//! "time_ok"}: `sign_eth(input)` (Keccak-256, 0x-hex, v = 27/28) and
//! `sign(keccak256(input))` (raw digest, recovery id 0/1). tests/js/eth_verify.mjs
//! recovers the Ethereum address from them with independent libraries.
use std::io::Write;

use sgxkit::crypto::DerivedKey;
use sgxkit::io::{input_reader, output_writer};
use sgxkit::keccak::{Digest, Keccak256};
use sgxkit::{hex, panic, time};

fn main() {
    panic::set_default_hook();
    let mut data = Vec::new();
    std::io::Read::read_to_end(&mut input_reader(), &mut data).unwrap();
    let key = DerivedKey::root();
    let digest: [u8; 32] = Keccak256::digest(&data);
    let eth: String = key.sign_eth(&data).unwrap();
    let raw: [u8; 65] = key.sign(digest).unwrap();
    let public: [u8; 33] = key.public_key().unwrap();
    let now: u64 = time::insecure_systemtime();
    write!(
        output_writer(),
        "{{\"public_key\":\"{}\",\"keccak\":\"{}\",\"signature_eth\":\"{}\",\"signature_raw\":\"{}\",\"time_ok\":{}}}",
        hex::encode(public),
        hex::encode(digest),
        eth,
        hex::encode(raw),
        now > 1_600_000_000
    )
    .unwrap();
}
