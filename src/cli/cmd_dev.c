/* cmd_dev.c: placeholder */
#include "cli.h"
#include "cli_project.h"
int cmd_dev(int argc, char **argv) { (void)argc; (void)argv; return CLI_EXIT_FAIL; }
