//! json: reads a flat JSON object {"name": STRING, "count": INTEGER} and answers
//! {"greeting": "Hello, NAME!", "count": COUNT + 1, "name_bytes": N}; bad input gets
//! {"error": MESSAGE}.
use std::io::Write;

use esgx::io::{get_input_data_string, output_writer};
use esgx::json::{self, Value};

fn answer(input: &str) -> Result<String, String> {
    let obj = json::parse_object(input)?;
    let name = match json::get(&obj, "name") {
        Some(Value::Str(s)) => s.clone(),
        _ => return Err("\"name\" must be a string".to_string()),
    };
    let count = match json::get(&obj, "count") {
        Some(Value::Num(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => *n,
        None => 0.0,
        _ => return Err("\"count\" must be an integer".to_string()),
    };
    Ok(json::Writer::new()
        .string("greeting", &format!("Hello, {}!", name))
        .number("count", count + 1.0)
        .number("name_bytes", name.len() as f64)
        .finish())
}

#[esgx::main]
fn main() {
    let text = match get_input_data_string() {
        Ok(t) => answer(&t),
        Err(_) => Err("input is not UTF-8".to_string()),
    };
    let out = text.unwrap_or_else(|e| json::Writer::new().string("error", &e).finish());
    output_writer().write_all(out.as_bytes()).unwrap();
}
