// A tiny JSON reader and writer for flat objects (string, number, true/false/null
// members), as in the Rust and C SDKs: nested objects and arrays are refused with an
// error naming the key. Strings are AssemblyScript strings (UTF-16 inside).

export class JsonValue {
  static readonly STRING: i32 = 0;
  static readonly NUMBER: i32 = 1;
  static readonly TRUE: i32 = 2;
  static readonly FALSE: i32 = 3;
  static readonly NULL: i32 = 4;
  kind: i32 = JsonValue.NULL;
  str: string = "";
  num: f64 = 0;
  /** NUMBER without fraction or exponent that fits an i64; then `int` holds it. */
  isInt: bool = false;
  int: i64 = 0;
}

export class JsonObject {
  keys: string[] = [];
  values: JsonValue[] = [];
  /** Empty when the text parsed; else what was wrong (and keys/values are partial). */
  error: string = "";

  /** The value of `key`, or null. */
  get(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.values[i];
    return null;
  }
}

class Parser {
  i: i32 = 0;
  err: string = "";
  constructor(public s: string) {}

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c != 32 && c != 9 && c != 10 && c != 13) break;
      this.i++;
    }
  }
  eat(c: i32): bool {
    this.ws();
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == c) {
      this.i++;
      return true;
    }
    return false;
  }
  fail(msg: string): bool {
    if (this.err.length == 0) this.err = msg;
    return false;
  }
  hex4(): i32 {
    if (this.i + 4 > this.s.length) return -1;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.s.charCodeAt(this.i++);
      let d = -1;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      if (d < 0) return -1;
      v = v << 4 | d;
    }
    return v;
  }
  str(out: JsonValue): bool {
    if (!this.eat(34)) return this.fail("expected a string at " + this.i.toString());
    const parts: string[] = [];
    let start = this.i;
    while (true) {
      if (this.i >= this.s.length) return this.fail("unterminated string");
      const c = this.s.charCodeAt(this.i);
      if (c == 34) break;
      if (c < 32) return this.fail("control character in a string");
      if (c != 92) {
        this.i++;
        continue;
      }
      parts.push(this.s.substring(start, this.i));
      this.i++;
      if (this.i >= this.s.length) return this.fail("unterminated string");
      const e = this.s.charCodeAt(this.i++);
      if (e == 34 || e == 92 || e == 47) parts.push(String.fromCharCode(e));
      else if (e == 98) parts.push("\b");
      else if (e == 102) parts.push("\f");
      else if (e == 110) parts.push("\n");
      else if (e == 114) parts.push("\r");
      else if (e == 116) parts.push("\t");
      else if (e == 117) {
        const u = this.hex4();
        if (u < 0) return this.fail("bad \\u escape");
        parts.push(String.fromCharCode(u));
      } else return this.fail("bad escape");
      start = this.i;
    }
    parts.push(this.s.substring(start, this.i));
    this.i++;
    out.str = parts.join("");
    return true;
  }
  number(out: JsonValue, key: string): bool {
    const start = this.i;
    let isInt = true;
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == 45) this.i++;
    const digitsAt = this.i;
    while (this.i < this.s.length && this.isDigit(this.s.charCodeAt(this.i))) this.i++;
    if (this.i == digitsAt) return this.fail("\"" + key + "\": bad value");
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == 46) {
      isInt = false;
      const f = ++this.i;
      while (this.i < this.s.length && this.isDigit(this.s.charCodeAt(this.i))) this.i++;
      if (this.i == f) return this.fail("\"" + key + "\": bad number");
    }
    if (this.i < this.s.length && (this.s.charCodeAt(this.i) | 32) == 101) {
      isInt = false;
      this.i++;
      if (this.i < this.s.length && (this.s.charCodeAt(this.i) == 43 || this.s.charCodeAt(this.i) == 45)) this.i++;
      const e = this.i;
      while (this.i < this.s.length && this.isDigit(this.s.charCodeAt(this.i))) this.i++;
      if (this.i == e) return this.fail("\"" + key + "\": bad number");
    }
    const text = this.s.substring(start, this.i);
    out.kind = JsonValue.NUMBER;
    out.num = parseFloat(text);
    if (isInt && text.length <= 18) {
      out.isInt = true;
      out.int = I64.parseInt(text);
    }
    return true;
  }
  isDigit(c: i32): bool {
    return c >= 48 && c <= 57;
  }
  value(out: JsonValue, key: string): bool {
    this.ws();
    const rest = this.s.substring(this.i, this.i + 5);
    if (rest.startsWith("true")) { out.kind = JsonValue.TRUE; this.i += 4; return true; }
    if (rest.startsWith("false")) { out.kind = JsonValue.FALSE; this.i += 5; return true; }
    if (rest.startsWith("null")) { out.kind = JsonValue.NULL; this.i += 4; return true; }
    if (rest.startsWith("\"")) { out.kind = JsonValue.STRING; return this.str(out); }
    if (rest.startsWith("{") || rest.startsWith("["))
      return this.fail("\"" + key + "\": nested values are not supported");
    return this.number(out, key);
  }
}

/** Parses `{"k": v, ...}`; check `.error` (empty when the text was a flat object). */
export function parseJsonObject(text: string): JsonObject {
  const p = new Parser(text);
  const obj = new JsonObject();
  if (!p.eat(123)) p.fail("expected '{'");
  else if (!p.eat(125)) {
    while (true) {
      const k = new JsonValue();
      if (!p.str(k)) break;
      if (!p.eat(58)) { p.fail("expected ':'"); break; }
      const v = new JsonValue();
      if (!p.value(v, k.str)) break;
      obj.keys.push(k.str);
      obj.values.push(v);
      if (p.eat(125)) break;
      if (!p.eat(44)) { p.fail("expected ',' or '}'"); break; }
    }
  }
  if (p.err.length == 0) {
    p.ws();
    if (p.i != text.length) p.fail("junk after the object");
  }
  obj.error = p.err;
  return obj;
}

/** `s` as a JSON string literal, quotes included. */
export function quoteJson(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34) out += "\\\"";
    else if (c == 92) out += "\\\\";
    else if (c == 10) out += "\\n";
    else if (c == 13) out += "\\r";
    else if (c == 9) out += "\\t";
    else if (c < 32) out += "\\u00" + (c < 16 ? "0" : "1") + "0123456789abcdef".charAt(c & 15);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

/** Builds a flat object: new JsonWriter().str("k", "v").int("n", 1).finish(). */
export class JsonWriter {
  private text: string = "";

  private key(k: string): void {
    this.text += (this.text.length == 0 ? "{" : ",") + quoteJson(k) + ":";
  }
  /** Adds a string member. */
  str(k: string, v: string): JsonWriter {
    this.key(k);
    this.text += quoteJson(v);
    return this;
  }
  /** Adds an integer member. */
  int(k: string, v: i64): JsonWriter {
    this.key(k);
    this.text += v.toString();
    return this;
  }
  /** Adds a boolean member. */
  bool(k: string, v: bool): JsonWriter {
    this.key(k);
    this.text += v ? "true" : "false";
    return this;
  }
  /** The object's text. */
  finish(): string {
    return (this.text.length == 0 ? "{" : this.text) + "}";
  }
}
