// json: reads {"name": STRING, "count": INTEGER} and answers {"greeting": "Hello, NAME!",
// "count": COUNT + 1, "name_bytes": N}; bad input gets {"error": MESSAGE}. The same
// contract as the Rust and C json examples.
import { getInputDataString, outputString, parseJsonObject, JsonValue, JsonWriter } from "../assembly/esgx/index";

function answer(text: string): string {
  const obj = parseJsonObject(text);
  if (obj.error.length > 0) return new JsonWriter().str("error", obj.error).finish();
  const name = obj.get("name");
  if (name == null || name.kind != JsonValue.STRING)
    return new JsonWriter().str("error", "\"name\" must be a string").finish();
  const count = obj.get("count");
  let n: i64 = 0;
  if (count != null) {
    if (!count.isInt) return new JsonWriter().str("error", "\"count\" must be an integer").finish();
    n = count.int;
  }
  return new JsonWriter()
    .str("greeting", "Hello, " + name.str + "!")
    .int("count", n + 1)
    .int("name_bytes", String.UTF8.byteLength(name.str))
    .finish();
}

export function main(): void {
  outputString(answer(getInputDataString()));
}
