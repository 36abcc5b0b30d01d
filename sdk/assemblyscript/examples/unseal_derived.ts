// unseal_derived: decrypts its input, sealed to this module's derived key at path ab12
// (`esgx encrypt wasm --path ab12`); on failure "error: MESSAGE (CODE)".
import { DerivedKey, getInputData, hostErrorText, output, outputString } from "../assembly/esgx/index";

export function main(): void {
  const r = new DerivedKey([0xab12]).unseal(getInputData());
  if (r.ok) output(r.value);
  else outputString("error: " + hostErrorText(r.code));
}
