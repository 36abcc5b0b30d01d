// esgx AssemblyScript SDK: the fn0 host API (docs/guest-abi.md) for guests written in
// AssemblyScript. A guest exports `main(): void` (an accepted entry type) and builds
// with build.mjs (asc with `--use abort=assembly/esgx/index/esgxAbort`, so a failed
// assertion or a thrown error replaces the output with its message instead of importing
// env.abort, which esgx refuses). Names follow the Rust SDK (and so sgxkit): getInputData,
// getInputDataString, output/outputString, clearOutput, debugPrint, SharedKey,
// DerivedKey. Paths of derived keys are the bytes the host sees (as `esgx encrypt wasm
// --path HEX`): new DerivedKey([0xab12]) is path ab12.
export { JsonObject, JsonValue, JsonWriter, parseJsonObject, quoteJson } from "./json";
export { hexEncode, hexDecode } from "./hex";

@external("fn0", "input_data_size") declare function input_data_size(): i32;
@external("fn0", "input_data_copy") declare function input_data_copy(dst: usize, offset: u32, len: u32): i32;
@external("fn0", "output_data_append") declare function output_data_append(ptr: usize, len: u32): i32;
@external("fn0", "output_data_clear") declare function output_data_clear(): void;
@external("fn0", "shared_key_public") declare function shared_key_public(buf: usize): i32;
@external("fn0", "shared_key_unseal") declare function shared_key_unseal(ptr: usize, len: u32): i32;
@external("fn0", "derived_key_public") declare function derived_key_public(wasm: usize, path: usize, pathLen: u32, buf: usize): i32;
@external("fn0", "derived_key_unseal") declare function derived_key_unseal(path: usize, pathLen: u32, ptr: usize, len: u32): i32;
// sgxkit's five-argument form: signs SHA-256(data)
@external("fn0", "derived_key_sign") declare function derived_key_sign(path: usize, pathLen: u32, data: usize, dataLen: u32, sig: usize): i32;
@external("fn0", "insecure_systemtime") declare function insecure_systemtime(): i64;
@external("fn0", "debug_print") declare function debug_print(ptr: usize, len: u32): void;

/** The fn0 error codes (negative returns of the host functions). */
export namespace HostError {
  export const OUT_OF_FUEL: i32 = -1;
  export const OUT_OF_BOUNDS: i32 = -2;
  export const INVALID_PATH: i32 = -3;
  export const KEY_DERIVATION: i32 = -4;
  export const INVALID_HEADER: i32 = -5;
  export const NOT_APPROVED: i32 = -6;
  export const DECRYPTION: i32 = -7;
  export const UNEXPECTED: i32 = -99;
}

/** "MESSAGE (CODE)" for a fn0 error code, e.g. "decryption failed (-7)". */
export function hostErrorText(code: i32): string {
  let what = "unexpected host error";
  if (code == -1) what = "out of fuel";
  else if (code == -2) what = "out of bounds";
  else if (code == -3) what = "invalid derivation path";
  else if (code == -4) what = "key derivation failed";
  else if (code == -5) what = "invalid approved-wasm header";
  else if (code == -6) what = "this module is not approved for the data";
  else if (code == -7) what = "decryption failed";
  return what + " (" + code.toString() + ")";
}

/** Thrown-free results: `ok` false means `code` holds the fn0 error. */
export class Result<T> {
  constructor(public ok: bool, public value: T, public code: i32) {}
}

/** The whole input as bytes. */
export function getInputData(): Uint8Array {
  const n = input_data_size();
  const buf = new Uint8Array(n);
  if (n > 0) {
    const rc = input_data_copy(buf.dataStart, 0, <u32>n);
    assert(rc == 0, "input_data_copy failed");
  }
  return buf;
}

/** The whole input decoded as UTF-8 (invalid sequences become U+FFFD). */
export function getInputDataString(): string {
  const data = getInputData();
  return String.UTF8.decodeUnsafe(data.dataStart, <usize>data.length);
}

/** Appends bytes to the output. */
export function output(data: Uint8Array): void {
  output_data_append(data.dataStart, <u32>data.length);
}

/** Appends a string (as UTF-8) to the output. */
export function outputString(s: string): void {
  const buf = String.UTF8.encode(s);
  output_data_append(changetype<usize>(buf), <u32>buf.byteLength);
}

/** Discards the output written so far. */
export function clearOutput(): void {
  output_data_clear();
}

/** One line to the debug log (`esgx run` stderr; a node with --debug). */
export function debugPrint(s: string): void {
  const buf = String.UTF8.encode(s);
  debug_print(changetype<usize>(buf), <u32>buf.byteLength);
}

/** Host time in seconds since the epoch. Untrusted: the host controls it. */
export function insecureSystemTime(): i64 {
  return insecure_systemtime();
}

/** The network's shared key: its xpub, and unsealing data approved for this module. */
export class SharedKey {
  /** The network xpub (111 characters of base58). */
  static publicKey(): string {
    const buf = new Uint8Array(111);
    shared_key_public(buf.dataStart);
    return String.UTF8.decodeUnsafe(buf.dataStart, 111);
  }

  /** Decrypts data sealed with `esgx encrypt shared` for this module; the content
   *  (header removed), or the error code. */
  static unseal(cipher: Uint8Array): Result<Uint8Array> {
    const data = cipher.slice(0);
    const rc = shared_key_unseal(data.dataStart, <u32>data.length);
    if (rc < 0) return new Result<Uint8Array>(false, new Uint8Array(0), rc);
    return new Result<Uint8Array>(true, data.slice(0, rc), 0);
  }
}

/** A key of this module, named by its derivation path (at most 128 u16 elements). */
export class DerivedKey {
  private path: Uint8Array;

  /** The key at path, each element as the big-endian byte pair the host reads. */
  constructor(path: u16[] = []) {
    assert(path.length <= 128, "a derivation path has at most 128 elements");
    this.path = new Uint8Array(path.length * 2);
    for (let i = 0; i < path.length; i++) {
      this.path[2 * i] = <u8>(path[i] >> 8);
      this.path[2 * i + 1] = <u8>(path[i] & 0xff);
    }
  }

  /** The module's root key (empty path). */
  static root(): DerivedKey {
    return new DerivedKey();
  }

  /** The key whose host path is exactly `bytes` (even length, at most 256), or null. */
  static fromPathBytes(bytes: Uint8Array): DerivedKey | null {
    if (bytes.length % 2 != 0 || bytes.length > 256) return null;
    const k = new DerivedKey();
    k.path = bytes.slice(0);
    return k;
  }

  /** This key's child at `child` (null if the path would pass 128 elements). */
  withChildPath(child: u16[]): DerivedKey | null {
    if (this.path.length / 2 + child.length > 128) return null;
    const k = new DerivedKey(child);
    const joined = new Uint8Array(this.path.length + k.path.length);
    joined.set(this.path, 0);
    joined.set(k.path, this.path.length);
    k.path = joined;
    return k;
  }

  /** Signs SHA-256(data): r (32) + s (32) + recovery id (1). */
  sign(data: Uint8Array): Result<Uint8Array> {
    const sig = new Uint8Array(65);
    const rc = derived_key_sign(this.path.dataStart, <u32>this.path.length, data.dataStart,
                                <u32>data.length, sig.dataStart);
    return new Result<Uint8Array>(rc == 0, sig, rc);
  }

  /** Decrypts data made for this key by `esgx encrypt wasm`. */
  unseal(cipher: Uint8Array): Result<Uint8Array> {
    const data = cipher.slice(0);
    const rc = derived_key_unseal(this.path.dataStart, <u32>this.path.length, data.dataStart,
                                  <u32>data.length);
    if (rc < 0) return new Result<Uint8Array>(false, new Uint8Array(0), rc);
    return new Result<Uint8Array>(true, data.slice(0, rc), 0);
  }

  /** The 33-byte compressed public key. */
  publicKey(): Result<Uint8Array> {
    const key = new Uint8Array(33);
    const rc = derived_key_public(0, this.path.dataStart, <u32>this.path.length, key.dataStart);
    return new Result<Uint8Array>(rc == 0, key, rc);
  }

  /** The public key of another module (by its 32-byte hash) at this key's path. */
  externalPublicKey(wasmHash: Uint8Array): Result<Uint8Array> {
    assert(wasmHash.length == 32, "a module hash is 32 bytes");
    const key = new Uint8Array(33);
    const rc = derived_key_public(wasmHash.dataStart, this.path.dataStart, <u32>this.path.length,
                                  key.dataStart);
    return new Result<Uint8Array>(rc == 0, key, rc);
  }
}

/** The abort handler (build with --use abort=assembly/esgx/index/esgxAbort): replaces
 *  the output with "abort: MESSAGE at FILE:LINE:COLUMN", logs it, and traps. */
export function esgxAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = "abort: " + (message ? message : "(no message)") + " at " +
               (fileName ? fileName : "?") + ":" + line.toString() + ":" + column.toString();
  debugPrint(text);
  output_data_clear();
  outputString(text);
  unreachable();
}
