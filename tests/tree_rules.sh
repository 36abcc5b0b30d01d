#!/usr/bin/env bash
# tree_rules: the rules of the tree that a reviewer would otherwise check by hand.
#  1. every external symbol defined by an archive of ours (the libraries, and the cores
#     of esgxd and the enclave that their tests link) starts with esgx_
#  2. every public header (lib/*/include/) is named esgx_*.h, and nothing else is there
#  3. no file of the repository names the product brief (the project stands on its own)
set -euo pipefail
src="${ESGX_SOURCE_DIR:?}"; build="${ESGX_BUILD_DIR:?}"
fail=0; checks=0
check() { checks=$((checks + 1)); if ! eval "$1"; then echo "FAIL: $2"; fail=$((fail + 1)); fi; }

archives=$(find "$build/lib" "$build/src" -name 'lib*.a' | sort)
check '[ -n "$archives" ]' "no library archive found under $build"
for a in $archives; do
  # (the sanitizer build adds its own __odr_asan.* twins of our globals)
  bad=$(nm -g --defined-only "$a" | awk 'NF == 3 && $3 !~ /^esgx_/ && $3 !~ /^__odr_asan\.esgx_/ {print $3}' | sort -u)
  check '[ -z "$bad" ]' "$(basename "$a") defines symbols outside esgx_: $(echo $bad | head -c 400)"
done

for d in "$src"/lib/*/include; do
  others=$(find "$d" -type f ! -name 'esgx_*.h' | sed "s|$src/||")
  check '[ -z "$others" ]' "public include dir holds non-esgx_ files: $others"
done
for l in "$src"/lib/*/; do
  check '[ -d "$l/include" ]' "library $(basename "$l") has no include/ folder"
done

cited=$(cd "$src" && git ls-files 2>/dev/null | grep -v '^tests/tree_rules.sh$' \
        | xargs -d '\n' grep -l 'DESIGN\.md' 2>/dev/null || true)
check '[ -z "$cited" ]' "files name the brief: $cited"

echo "tree_rules: $checks checks, $fail failed"
[ "$fail" -eq 0 ]
