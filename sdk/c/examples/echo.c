/*
 * echo: returns its input unchanged, any bytes, read whole with esgx_input_read.
 */
#include "esgx_sdk.h"

ESGX_MAIN
{
    uint32_t n;
    uint8_t *in = esgx_input_read(&n);
    if (!in) return 1;
    fn0_output_data_append(in, n);
    return 0;
}
