//! echo: returns its input unchanged, any bytes (read through `input_reader`).
use std::io::{Read, Write};

use esgx::io::{input_reader, output_writer};

#[esgx::main]
fn main() {
    let mut input = Vec::new();
    input_reader().read_to_end(&mut input).unwrap();
    output_writer().write_all(&input).unwrap();
}
