/* echo: returns its input unchanged. */
#include "esgx_fn0.h"

ESGX_MAIN
{
    uint32_t n = (uint32_t)fn0_input_data_size();
    if (n == 0) return 0;
    void *buf = fn0_sbrk(n);
    if (!buf || fn0_input_data_copy(buf, 0, n) != 0) return 1;
    fn0_output_data_append(buf, n);
    return 0;
}
