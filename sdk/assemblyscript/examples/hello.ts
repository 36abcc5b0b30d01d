// hello: outputs a greeting (the AssemblyScript twin of sdk/examples/hello.c).
import { debugPrint, outputString } from "../assembly/esgx/index";

export function main(): void {
  debugPrint("hello: running");
  outputString("Hello, world! From, SGX WASM <3");
}
