// abort: writes some output, then fails an assertion naming its input; the SDK's abort
// handler replaces the output with the message and the run traps.
import { getInputDataString, outputString } from "../assembly/esgx/index";

export function main(): void {
  outputString("partial output");
  assert(false, "refusing " + getInputDataString());
}
