// echo: returns its input unchanged, any bytes.
import { getInputData, output } from "../assembly/esgx/index";

export function main(): void {
  output(getInputData());
}
