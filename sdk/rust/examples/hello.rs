//! hello: outputs a greeting (the Rust twin of sdk/examples/hello.c).
use std::io::Write;

use esgx::io::output_writer;

#[esgx::main]
fn main() {
    esgx::println!("hello: running");
    output_writer().write_all(b"Hello, world! From, SGX WASM <3").unwrap();
}
