// unseal: decrypts its input, data sealed to the network key with an approved-wasm header
// listing this module (`esgx encrypt shared`); on failure "error: MESSAGE (CODE)".
import { getInputData, hostErrorText, output, outputString, SharedKey } from "../assembly/esgx/index";

export function main(): void {
  const r = SharedKey.unseal(getInputData());
  if (r.ok) output(r.value);
  else outputString("error: " + hostErrorText(r.code));
}
