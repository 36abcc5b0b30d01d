//! greet: sgxkit's io API as sgxkit code spells it (input string, output writer, its
//! lock, println! to the debug log). Answers "Hello, INPUT!".
use std::io::Write;

use sgxkit::io::{get_input_data_string, output_writer, OutputWriterLock};
use sgxkit::println;

#[sgxkit::main]
fn main() {
    let input = get_input_data_string().unwrap_or("invalid data".into());
    println!("greet: {} bytes", input.len());
    println!();
    let mut writer = output_writer();
    let mut lock: OutputWriterLock = writer.lock();
    lock.write_all(b"Hello, ").unwrap();
    write!(lock, "{}!", input).unwrap();
}
