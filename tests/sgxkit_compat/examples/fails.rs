//! fails: a Result-returning main as sgxkit allows it. Input "ok" answers "fine"; any
//! other input makes main return Err(HostError), which #[sgxkit::main] turns into a panic
//! "Error: <message>" that replaces the output.
use std::io::Write;

use sgxkit::error::HostError;
use sgxkit::io::{get_input_data_string, output_writer};

#[sgxkit::main]
fn main() -> Result<(), HostError> {
    let mut out = output_writer();
    out.write_all(b"partial").map_err(|_| HostError::Unexpected)?;
    if get_input_data_string().map_err(|_| HostError::Unexpected)? != "ok" {
        return Err(HostError::from_repr(-6).unwrap());
    }
    out.clear();
    out.write_all(b"fine").unwrap();
    Ok(())
}
