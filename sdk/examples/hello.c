/* hello: the classic first function. Output: "Hello, world! From, SGX WASM <3". */
#include "esgx_fn0.h"

ESGX_MAIN
{
    fn0_output_str("Hello, world! From, SGX WASM <3");
    return 0;
}
