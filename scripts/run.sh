#!/usr/bin/env bash
# The main job: sets up, builds, and shows the esgx command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
./build/esgx --help
