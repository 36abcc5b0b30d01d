//! multisig: sgxkit's multisig example, ported. The request is JSON
//! {"payload": BASE64, "signatures": ["0x" + hex of r || s || v (v = 27 + recovery id)]};
//! at least ceil(2/3) of PUBLIC_SIGNERS must have signed Keccak-256(payload) (each
//! signature recovers to an approved Ethereum address and verifies). The module then
//! signs the payload with its root derived key (`sign_eth`) and answers, pretty-printed,
//! {"account": its Ethereum address, "signature": the 0x-hex signature}.
//!
//! The sgxkit calls are sgxkit's (the crate is used under the name `sgxkit`), and so are
//! the libsecp256k1, sha3 (Keccak256) and hex calls, through the esgx crate's stand-ins
//! (esgx::libsecp256k1 runs the curve arithmetic in the host). serde/serde_json and
//! arrayref, which cannot be fetched here, are replaced by esgx::json and try_into;
//! `usize::div_ceil` (newer than Debian's rustc 1.63) by its formula.
//! As in sgxkit's example, the "addresses" here are Keccak-256 of the 65-byte key
//! (04 || x || y, the prefix included), last 20 bytes: PUBLIC_SIGNERS are those of the
//! secret keys [1; 32], [2; 32] and [3; 32], and "account" is the module key's; an
//! Ethereum address hashes x || y only (the sign_eth signature recovers to that one).
//! tests/js/multisig.mjs makes requests with those keys and checks the answer.
extern crate esgx as sgxkit;

use std::io::Write;

use sgxkit::crypto::DerivedKey;
use sgxkit::io::output_writer;
use sgxkit::json::{self, Value};
use sgxkit::println;
use sgxkit::{hex, libsecp256k1};
use sgxkit::base64;
use sgxkit::keccak as sha3;

use base64::prelude::BASE64_STANDARD;
use base64::Engine;
use libsecp256k1::{RecoveryId, Signature};
use sha3::{Digest, Keccak256};

/// List of valid signing ethereum accounts
const PUBLIC_SIGNERS: &[&str] = &[
    "0xcd09987ab8141ec5b3646962e6810671d8f82434",
    "0xfc8c3f631b82f20e54ae5f3547054f63c7f97db5",
    "0x5a742918200f07183449b0ccba8b39818e269bac",
];

/// Require ceil(signers * 2 / 3) valid signatures
const MINIMUM_SIGNATURES: usize = (PUBLIC_SIGNERS.len() * 2 + 2) / 3;

struct InputData {
    payload: Vec<u8>,
    signatures: Vec<(Signature, RecoveryId)>,
}

/// Decodes `["0x" + hex of r . s . v]`.
fn decode_signatures(inputs: &[String]) -> Result<Vec<(Signature, RecoveryId)>, String> {
    if inputs.len() < MINIMUM_SIGNATURES {
        return Err(format!("must have {} signatures", MINIMUM_SIGNATURES));
    }
    let mut sigs = Vec::with_capacity(inputs.len());
    for v in inputs {
        println!("decoding hex");
        let raw: [u8; 65] = hex::decode(v.trim_start_matches("0x"))
            .map_err(|e| e.to_string())?
            .try_into()
            .map_err(|_| "invalid signature length".to_string())?;
        println!("parsing signature");
        let rs: &[u8; 64] = raw[..64].try_into().expect("64 of 65 bytes");
        let signature = Signature::parse_standard(rs).map_err(|_| "invalid signature".to_string())?;
        println!("parsing recovery id");
        let rid = RecoveryId::parse_rpc(raw[64]).map_err(|_| "invalid ethereum recovery id".to_string())?;
        println!("done");
        sigs.push((signature, rid));
    }
    Ok(sigs)
}

fn parse_input(text: &str) -> Result<InputData, String> {
    let obj = json::parse_object(text)?;
    let payload = match json::get(&obj, "payload") {
        Some(Value::Str(s)) => BASE64_STANDARD.decode(s).map_err(|e| e.to_string())?,
        _ => return Err("\"payload\" must be a base64 string".to_string()),
    };
    let signatures = match json::get(&obj, "signatures") {
        Some(Value::StrArray(list)) => decode_signatures(list)?,
        _ => return Err("\"signatures\" must be an array of strings".to_string()),
    };
    Ok(InputData { payload, signatures })
}

#[sgxkit::main]
pub fn main() -> Result<(), String> {
    println!("starting");
    // Get json data and parse into input
    let input = sgxkit::io::get_input_data_string().unwrap();

    println!("got input");

    let InputData { payload, signatures } = parse_input(&input)?;

    println!("decoded input");

    // Hash input
    let hash = Keccak256::digest(&payload);
    let msg = libsecp256k1::Message::parse(&hash.into());

    println!("hashed message: 0x{}", hex::encode(hash));

    let mut count = 0;
    for (sig, rid) in signatures {
        // Recover the signature's public key
        let pubkey = libsecp256k1::recover(&msg, &sig, &rid).map_err(|e| e.to_string())?;
        let hash = Keccak256::digest(pubkey.serialize());
        let eth = format!("0x{}", hex::encode(&hash[12..]));

        println!("recovered signer: {}", eth);

        // Ensure public key is in the approved list
        if !PUBLIC_SIGNERS.contains(&eth.as_str()) {
            return Err(format!("Invalid signer {}", eth));
        }

        // Verify the signature
        if !libsecp256k1::verify(&msg, &sig, &pubkey) {
            return Err("Invalid signature".to_string());
        }

        println!("verified signature");
        count += 1;
    }

    if count < MINIMUM_SIGNATURES {
        return Err("Not enough valid signatures".to_string());
    }

    let key = DerivedKey::root();

    // Encode public key as ethereum account id
    // - hash uncompressed with keccack256
    // - take last 20 bytes (drop the first 12)
    // - hex encode with 0x prefix
    let compressed = key.public_key().unwrap();
    let uncompressed = libsecp256k1::PublicKey::parse_compressed(&compressed).unwrap().serialize();
    let hash = Keccak256::digest(uncompressed);
    let eth = format!("0x{}", hex::encode(&hash[12..]));

    println!("signing with key {}", eth);

    // Sign the request data with the derived key
    let wasm_sig = key.sign_eth(&payload).map_err(|e| e.to_string())?;

    let res = json::Writer::new().string("account", &eth).string("signature", &wasm_sig);

    // Write to certified output
    output_writer().write_all(res.finish_pretty().as_bytes()).unwrap();

    Ok(())
}
