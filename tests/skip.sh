#!/bin/sh
# skip.sh MESSAGE...: a test that cannot run here says why and exits 77 (ctest: skipped).
echo "skip: $*" >&2
exit 77
