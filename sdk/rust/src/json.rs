//! A tiny JSON reader and writer for flat objects of strings, numbers, booleans, nulls
//! and arrays of strings: enough for request/response bodies without serde. Nested
//! objects and other arrays are refused with an error naming the key.

/// A value of a flat object.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// An array whose elements are all strings.
    StrArray(Vec<String>),
}

/// The members of a flat object, in order.
pub type Object = Vec<(String, Value)>;

/// The value of `key` in `obj`, if present.
pub fn get<'a>(obj: &'a Object, key: &str) -> Option<&'a Value> {
    obj.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Parses `{"k": v, ...}` (whitespace allowed, nothing after it but whitespace).
pub fn parse_object(text: &str) -> Result<Object, String> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let mut obj = Object::new();
    p.expect(b'{')?;
    if !p.eat(b'}') {
        loop {
            let key = p.string()?;
            p.expect(b':')?;
            let value = p.value(&key)?;
            obj.push((key, value));
            if p.eat(b'}') {
                break;
            }
            p.expect(b',')?;
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("junk after the object at byte {}", p.i));
    }
    Ok(obj)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && b" \t\r\n".contains(&self.s[self.i]) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.s.get(self.i) == Some(&c);
        if hit {
            self.i += 1;
        }
        hit
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(format!("expected '{}' at byte {}", c as char, self.i)) }
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let h = self.s.get(self.i..self.i + 4).ok_or("truncated \\u escape")?;
        let h = std::str::from_utf8(h).map_err(|_| "bad \\u escape")?;
        self.i += 4;
        u32::from_str_radix(h, 16).map_err(|_| "bad \\u escape".to_string())
    }
    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let c = *self.s.get(self.i).ok_or("unterminated string")?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("unterminated string")?;
                    self.i += 1;
                    let ch = match e {
                        b'"' | b'\\' | b'/' => e as char,
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp) && self.s.get(self.i..self.i + 2) == Some(b"\\u") {
                                self.i += 2;
                                let lo = self.hex4()?;
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff);
                            }
                            char::from_u32(cp).ok_or("bad \\u escape")?
                        }
                        _ => return Err(format!("bad escape at byte {}", self.i - 1)),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err("control character in a string".to_string()),
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| "string is not UTF-8".to_string())
    }
    fn value(&mut self, key: &str) -> Result<Value, String> {
        self.ws();
        let rest = &self.s[self.i..];
        for (word, v) in [("true", Value::Bool(true)), ("false", Value::Bool(false)), ("null", Value::Null)] {
            if rest.starts_with(word.as_bytes()) {
                self.i += word.len();
                return Ok(v);
            }
        }
        match rest.first() {
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        self.ws();
                        if self.s.get(self.i) != Some(&b'"') {
                            return Err(format!("\"{}\": only arrays of strings are supported", key));
                        }
                        items.push(self.string()?);
                        if self.eat(b']') {
                            break;
                        }
                        self.expect(b',')?;
                    }
                }
                Ok(Value::StrArray(items))
            }
            Some(b'{') => Err(format!("\"{}\": nested values are not supported", key)),
            _ => {
                let n = rest.iter().take_while(|c| b"+-.eE0123456789".contains(c)).count();
                let text = std::str::from_utf8(&rest[..n]).unwrap_or("");
                self.i += n;
                text.parse::<f64>().map(Value::Num).map_err(|_| format!("\"{}\": bad value", key))
            }
        }
    }
}

/// `s` as a JSON string literal, quotes included.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes a flat object: `Writer::new().string("k", "v").number("n", 1.0).finish()`.
#[derive(Default)]
pub struct Writer {
    members: Vec<(String, String)>, // (quoted key, value text)
}

impl Writer {
    /// An empty object.
    pub fn new() -> Self {
        Writer::default()
    }
    fn add(mut self, k: &str, v: String) -> Self {
        self.members.push((quote(k), v));
        self
    }
    /// Adds a string member.
    pub fn string(self, k: &str, v: &str) -> Self {
        let v = quote(v);
        self.add(k, v)
    }
    /// Adds a number member (integers print without a fraction; NaN/inf as null).
    pub fn number(self, k: &str, v: f64) -> Self {
        let v = if v.is_finite() { format!("{}", v) } else { "null".to_string() };
        self.add(k, v)
    }
    /// Adds a boolean member.
    pub fn boolean(self, k: &str, v: bool) -> Self {
        self.add(k, if v { "true" } else { "false" }.to_string())
    }
    /// The object's text.
    pub fn finish(self) -> String {
        let body: Vec<String> = self.members.iter().map(|(k, v)| format!("{}:{}", k, v)).collect();
        format!("{{{}}}", body.join(","))
    }
    /// The object's text as serde_json's `to_string_pretty` lays it out: one member a
    /// line, indented by two spaces.
    pub fn finish_pretty(self) -> String {
        if self.members.is_empty() {
            return "{}".to_string();
        }
        let body: Vec<String> = self.members.iter().map(|(k, v)| format!("  {}: {}", k, v)).collect();
        format!("{{\n{}\n}}", body.join(",\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        let o = parse_object(r#" {"a": "x\"\u00e9\ud83d\ude00", "n": -1.5e2, "t": true, "z": null} "#).unwrap();
        assert_eq!(get(&o, "a"), Some(&Value::Str("x\"é😀".to_string())));
        assert_eq!(get(&o, "n"), Some(&Value::Num(-150.0)));
        assert_eq!(get(&o, "t"), Some(&Value::Bool(true)));
        assert_eq!(get(&o, "z"), Some(&Value::Null));
        assert!(parse_object(r#"{"a": [1]}"#).unwrap_err().contains("\"a\""));
        assert!(parse_object(r#"{"a": {}}"#).unwrap_err().contains("\"a\""));
        let o = parse_object(r#"{"l": [ "x" , "y\"" ], "e": []}"#).unwrap();
        assert_eq!(get(&o, "l"), Some(&Value::StrArray(vec!["x".to_string(), "y\"".to_string()])));
        assert_eq!(get(&o, "e"), Some(&Value::StrArray(vec![])));
        assert!(parse_object(r#"{"l": ["x",]}"#).is_err());
        assert!(parse_object(r#"{"a": 1} x"#).is_err());
        assert!(parse_object(r#"{"a": 1"#).is_err());
        assert_eq!(parse_object("{}").unwrap(), Object::new());
        let w = Writer::new().string("s", "a\nb").number("n", 3.0).boolean("b", false).finish();
        assert_eq!(w, r#"{"s":"a\nb","n":3,"b":false}"#);
        assert_eq!(Writer::new().finish(), "{}");
        let p = Writer::new().string("a\":,", "0x1,\"2").string("b", "c").finish_pretty();
        assert_eq!(p, "{\n  \"a\\\":,\": \"0x1,\\\"2\",\n  \"b\": \"c\"\n}");
    }
}
