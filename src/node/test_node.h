/*
 * test_node.h: what the unit tests of esgxd's objects share (test programs only): a
 * temporary data directory, removed at the end.
 */
#ifndef ESGX_TEST_NODE_H
#define ESGX_TEST_NODE_H

#include <stdio.h>
#include <stdlib.h>

/* Removes the directory tree dir (made by mkdtemp); prints why if it cannot. */
static void test_remove_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
