/* cmd_encrypt.c: placeholder until its owner lands the real command. */
#include "cli.h"

int cmd_encrypt(int argc, char **argv)
{
    (void)argc;
    cli_error("%s: not built yet", argv[0]);
    return CLI_EXIT_FAIL;
}
