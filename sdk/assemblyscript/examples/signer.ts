// signer: signs its input (SHA-256 of the bytes, hashed by the host) with this module's
// root derived key; answers {"public_key": HEX33, "signature": HEX65, "xpub": XPUB}.
import { DerivedKey, getInputData, hexEncode, JsonWriter, outputString, SharedKey } from "../assembly/esgx/index";

export function main(): void {
  const key = DerivedKey.root();
  const sig = key.sign(getInputData());
  const pub = key.publicKey();
  assert(sig.ok && pub.ok, "signing failed");
  outputString(new JsonWriter()
    .str("public_key", hexEncode(pub.value))
    .str("signature", hexEncode(sig.value))
    .str("xpub", SharedKey.publicKey())
    .finish());
}
