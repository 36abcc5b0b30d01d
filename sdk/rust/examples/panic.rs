//! panic: writes some output, then panics with a message naming its input; the panic
//! hook of #[esgx::main] replaces the output with the panic message.
use std::io::Write;

use esgx::io::{get_input_data_string, output_writer};

#[esgx::main]
fn main() {
    output_writer().write_all(b"partial output").unwrap();
    let input = get_input_data_string().unwrap();
    panic!("refusing {:?}", input);
}
