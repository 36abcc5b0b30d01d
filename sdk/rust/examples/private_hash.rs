//! private_hash: sgxkit's private_hash example, ported: the request is JSON
//! {"type": "shared" | "wasm", "data": BASE64}; the data, sealed either to the network
//! key for this module (`esgx encrypt shared`) or to this module's root derived key
//! (`esgx encrypt wasm`), is unsealed and its BLAKE3 hash (64 hex digits) is the output.
//! The sgxkit calls are sgxkit's (the crate is used under the name `sgxkit`); the blake3
//! crate is esgx::blake3, and serde/serde_json, base64 0.22, strum and anyhow, which
//! cannot be fetched here, are replaced by esgx::json, esgx::base64, a FromStr impl and
//! Box<dyn Error>.
extern crate esgx as sgxkit;

use std::error::Error;
use std::io::Write;
use std::str::FromStr;

use sgxkit::base64;
use sgxkit::blake3;
use sgxkit::crypto::{DerivedKey, SharedKey};
use sgxkit::io::{get_input_data_string, output_writer};
use sgxkit::json::{self, Value};

use base64::prelude::BASE64_STANDARD;
use base64::Engine;

enum ContentType {
    Shared,
    Wasm,
}

impl FromStr for ContentType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "shared" => Ok(ContentType::Shared),
            "wasm" => Ok(ContentType::Wasm),
            _ => Err(format!("unknown type {:?}", s)),
        }
    }
}

struct Request {
    content_type: ContentType,
    data: Vec<u8>,
}

fn parse_request(text: &str) -> Result<Request, String> {
    let obj = json::parse_object(text)?;
    let content_type = match json::get(&obj, "type") {
        Some(Value::Str(s)) => s.parse()?,
        _ => return Err("\"type\" must be a string".to_string()),
    };
    let data = match json::get(&obj, "data") {
        Some(Value::Str(s)) => BASE64_STANDARD.decode(s).map_err(|e| e.to_string())?,
        _ => return Err("\"data\" must be a base64 string".to_string()),
    };
    Ok(Request { content_type, data })
}

#[sgxkit::main]
fn main() -> Result<(), Box<dyn Error>> {
    let Request { content_type, mut data } = parse_request(&get_input_data_string()?)?;
    match content_type {
        ContentType::Shared => SharedKey::unseal(&mut data)?,
        ContentType::Wasm => {
            DerivedKey::root().unseal(&mut data)?;
        }
    }
    let hash = blake3::hash(&data).to_string();
    output_writer().write_all(hash.as_bytes())?;
    Ok(())
}
