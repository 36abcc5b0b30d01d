#!/usr/bin/env bash
# wasm_hostile.sh: hostile modules run through `esgx run` must end in a clean load
# error or a trap (exit 1, a message naming the problem on stderr), within 20 s and,
# for non-sanitizer builds, under 1 GiB of resident memory. Text modules come from
# tests/wasm/hostile_*.wat (wat2wasm); malformed or oversized ones are written here
# byte by byte.
TEST=wasm_hostile
. "$(dirname "$0")/wasm_lib.sh"
wasm_build 'hostile_*'
# ASan reserves terabytes of shadow memory and inflates RSS: no memory check there.
check_rss=1
case "$bld" in *asan*|*fuzz*) check_rss=0 ;; esac
[ -x /usr/bin/time ] || check_rss=0
max_kib=$((1024 * 1024))

# ---- helpers to write binary modules
# leb N: the unsigned LEB128 of N as printf escapes.
leb() {
  local v=$1 b out=""
  while :; do
    b=$((v & 0x7f)); v=$((v >> 7))
    [ "$v" -ne 0 ] && b=$((b | 0x80))
    out+=$(printf '\\x%02x' "$b")
    [ "$v" -eq 0 ] && break
  done
  printf '%s' "$out"
}
# section ID FILE: a section with the bytes of FILE as its contents.
section() { printf "$(printf '\\x%02x' "$1")$(leb "$(stat -c %s "$2")")"; cat "$2"; }
# one_func OUT BODYFILE: a module with one function () -> () exported as main whose
# body (locals and code, final end included) is BODYFILE.
one_func() {
  local out=$1 body=$2
  printf '\x01\x60\x00\x00' >"$tmp/s1"
  printf '\x01\x00' >"$tmp/s3"
  printf '\x01\x04main\x00\x00' >"$tmp/s7"
  { printf "\\x01$(leb "$(stat -c %s "$body")")"; cat "$body"; } >"$tmp/s10"
  { printf '\x00asm\x01\x00\x00\x00'
    section 1 "$tmp/s1"; section 3 "$tmp/s3"; section 7 "$tmp/s7"; section 10 "$tmp/s10"
  } >"$out"
}

# huge section size
printf '\x00asm\x01\x00\x00\x00\x01\xff\xff\xff\xff\x0f\x01\x60\x00\x00' >"$tmp/bin_huge_section.wasm"
# section whose vector claims 2^32-1 types
printf '\x00asm\x01\x00\x00\x00\x01\x05\xff\xff\xff\xff\x0f' >"$tmp/bin_huge_count.wasm"
# a function declaring 2^32-1 locals
printf '\x01\xff\xff\xff\xff\x0f\x7f\x0b' >"$tmp/body"; one_func "$tmp/bin_locals_4g.wasm" "$tmp/body"
# a function with 100000 locals (above the default 50000)
printf "\\x01$(leb 100000)\\x7f\\x0b" >"$tmp/body"; one_func "$tmp/bin_locals_100k.wasm" "$tmp/body"
# 40000 locals per frame and unbounded recursion: the value stack limit must stop it
printf "\\x01$(leb 40000)\\x7e\\x10\\x00\\x0b" >"$tmp/body"; one_func "$tmp/bin_fat_recursion.wasm" "$tmp/body"
# 50000 nested blocks around an unreachable
{ printf '\x00'; printf '\x02\x40%.0s' $(seq 50000); printf '\x00'
  printf '\x0b%.0s' $(seq 50000); printf '\x0b'; } >"$tmp/body"
one_func "$tmp/bin_nested_50k.wasm" "$tmp/body"
# 1 million br_table targets
{ printf '\x00\x02\x40\x41\x00\x0e'; printf "$(leb 1000000)"
  head -c 1000000 /dev/zero; printf '\x00\x0b\x0b'; } >"$tmp/body"
one_func "$tmp/bin_br_table_1m.wasm" "$tmp/body"
# 100001 functions (above the default 100000)
{ printf "$(leb 100001)"; head -c 100001 /dev/zero; } >"$tmp/s3"
{ printf "$(leb 100001)"; printf '\x02\x00\x0b%.0s' $(seq 100001); } >"$tmp/s10"
printf '\x01\x60\x00\x00' >"$tmp/s1"
{ printf '\x00asm\x01\x00\x00\x00'; section 1 "$tmp/s1"; section 3 "$tmp/s3"; section 10 "$tmp/s10"
} >"$tmp/bin_funcs_100k.wasm"
# 16 MiB + 1 byte
head -c $((16 * 1024 * 1024 + 1)) /dev/zero >"$tmp/bin_17m.wasm"
# truncated in the middle of the code section
head -c -3 "$tmp/bin_nested_50k.wasm" >"$tmp/bin_truncated.wasm"

fails=0 n=0
# hostile NAME FILE WANT_STDOUT|* STDERR-REGEX [ESGX-ARGS...]: expects exit 1 (or 0 when
# WANT_STDOUT is given for a case that may finish), stderr matching, bounded resources.
hostile() {
  local name=$1 file=$2 want_out=$3 want_err=$4; shift 4
  local rc want_rc=1 kib=0
  [ "$want_out" != "*" ] && want_rc=0
  n=$((n + 1))
  if [ $check_rss = 1 ]; then
    timeout 20 /usr/bin/time -f %M -o "$tmp/rss" "$esgx" run "$file" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    kib=$(tail -n 1 "$tmp/rss" 2>/dev/null | tr -dc 0-9)
  else
    timeout 20 "$esgx" run "$file" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
  fi
  local out err why=""
  out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
  if [ $rc -eq 124 ]; then why="timed out after 20 s"
  elif [ $rc -ne $want_rc ]; then why="exit $rc, want $want_rc"
  elif [ "$want_out" != "*" ] && [ "$out" != "$want_out" ]; then why="stdout '$out', want '$want_out'"
  elif ! grep -Eq -- "$want_err" <<<"$err"; then why="stderr does not match /$want_err/"
  elif grep -Eqi 'AddressSanitizer|runtime error|Segmentation|Aborted' <<<"$err"; then why="crashed"
  elif [ $check_rss = 1 ] && [ "${kib:-0}" -gt $max_kib ]; then why="max RSS ${kib} KiB > 1 GiB"
  fi
  if [ -n "$why" ]; then
    fails=$((fails + 1)); echo "FAIL: $name: $why"; echo "  stderr: ${err:0:400}"
  else
    echo "ok: $name (exit $rc${kib:+, ${kib} KiB}): ${err:0:120}"
  fi
}

hostile "huge section size" "$tmp/bin_huge_section.wasm" '*' '^esgx: .+'
hostile "2^32-1 types" "$tmp/bin_huge_count.wasm" '*' '^esgx: .+'
hostile "2^32-1 locals" "$tmp/bin_locals_4g.wasm" '*' '^esgx: .*local'
hostile "100k locals" "$tmp/bin_locals_100k.wasm" '*' '^esgx: .*local'
hostile "100001 functions" "$tmp/bin_funcs_100k.wasm" '*' '^esgx: .*(function|limit)'
hostile "module over 16 MiB" "$tmp/bin_17m.wasm" '*' '^esgx: .*larger than'
hostile "truncated module" "$tmp/bin_truncated.wasm" '*' '^esgx: .+'
hostile "50k nested blocks" "$tmp/bin_nested_50k.wasm" '*' '^esgx: (trap: unreachable|.*(nest|depth|limit|deep))'
hostile "1M br_table targets" "$tmp/bin_br_table_1m.wasm" '' '^$'
hostile "infinite loop" "$tmp/hostile_loop.wasm" '*' '^esgx: trap: out_of_fuel: ' --fuel 10000000
hostile "memory.grow storm" "$tmp/hostile_grow.wasm" '1024' '^$' --function grow --fuel 0
hostile "memory.grow 4 GiB" "$tmp/hostile_grow_big.wasm" '999' '^$' --function grow
hostile "memory.fill 64 MiB storm" "$tmp/hostile_bulk.wasm" '*' '^esgx: trap: out_of_fuel: ' --function fill --fuel 10000000
hostile "memory.copy 64 MiB storm" "$tmp/hostile_bulk.wasm" '*' '^esgx: trap: out_of_fuel: ' --function copy --fuel 10000000
hostile "table.grow storm" "$tmp/hostile_bulk.wasm" '100000' '^$' --function grow_table
hostile "deep recursion" "$tmp/hostile_recurse.wasm" '*' '^esgx: trap: stack_exhausted: ' --arg 0
hostile "fat frames recursion" "$tmp/bin_fat_recursion.wasm" '*' '^esgx: trap: stack_exhausted: '
hostile "call_indirect recursion" "$tmp/hostile_mutual.wasm" '*' '^esgx: trap: stack_exhausted: '
hostile "trap in start" "$tmp/hostile_start.wasm" '*' '^esgx: trap: unreachable: '
hostile "unreachable" "$tmp/hostile_unreachable.wasm" '*' '^esgx: trap: unreachable: '
hostile "4 GiB initial memory" "$tmp/hostile_bigmem.wasm" '*' '^esgx: .*(memory|limit|pages)'
hostile "1e8-element table" "$tmp/hostile_bigtable.wasm" '*' '^esgx: .*(table|limit|elem)'
hostile "data segment out of bounds" "$tmp/hostile_data_oob.wasm" '*' '^esgx: trap: memory_oob: '
hostile "load at 8 GiB" "$tmp/hostile_mem_oob.wasm" '*' '^esgx: trap: memory_oob: ' --function main

echo "wasm_hostile: $((n - fails))/$n cases passed"
[ $fails -eq 0 ]
