// Lower-case hex encoding and decoding (keys, digests, signatures).

/** Two lower-case hex digits per byte. */
export function hexEncode(bytes: Uint8Array): string {
  const digits = "0123456789abcdef";
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    s += digits.charAt(bytes[i] >> 4) + digits.charAt(bytes[i] & 15);
  }
  return s;
}

function nibble(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The bytes of an even-length hex string (either case), or null. */
export function hexDecode(text: string): Uint8Array | null {
  if (text.length % 2 != 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i)), lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = <u8>(hi << 4 | lo);
  }
  return out;
}
