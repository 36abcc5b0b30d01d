#!/bin/bash
# cli_usage.sh: the node-facing esgx commands without a node: --help (exit 0, usage on
# stdout), wrong usage (exit 2, one line naming the problem plus "see 'esgx CMD
# --help'", never the whole usage), did-you-mean for misspelled commands and options,
# JSON error objects under --json, network errors that name the URL and the cause
# (exit 3), missing login (exit 1), esgx verify's input checks, the option tables
# against every --help and docs/cli.md, `esgx completion bash`, and (with a built esgxd) the --decrypt
# hint of esgx invoke against a real node.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
ESGX=$BUILD/esgx
[ -x "$ESGX" ] || { echo "skip: $ESGX not built" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-cli-usage.XXXXXX")
trap 'rm -rf "$T"' EXIT
export XDG_CONFIG_HOME=$T/config HOME=$T/home
unset ESGX_TIMEOUT

fail() { echo "FAIL: $*" >&2; echo "--- stdout:" >&2; cat "$T/out" >&2; echo "--- stderr:" >&2; cat "$T/err" >&2; exit 1; }
ok() { echo "ok - $*"; }
. "$SRC/tests/cli_lib.sh"

# ---- --help everywhere: exit 0, usage on stdout
for c in "login" "functions" "functions deploy" "functions list" "functions delete" \
         "functions transfer" "keys" "keys new" "keys import" "keys show" "invoke" "verify"; do
    # shellcheck disable=SC2086
    run 0 $c --help
    has out "usage: esgx"
    [ -s "$T/err" ] && fail "esgx $c --help wrote to stderr"
done
run 0 --help
for c in login functions invoke verify; do has out "  $c "; done
ok "--help on every command"

# ---- wrong usage: exit 2, the problem on one line, then where the usage is (not the
# whole usage text); each line: the arguments | what the message must name | the command
while IFS='|' read -r args what cmd; do
    # shellcheck disable=SC2086
    run 2 $args
    has err "$what"
    has err "see 'esgx $cmd --help'"
    grep -qF "usage: esgx" "$T/err" && fail "esgx $args printed the whole usage"
    [ "$(wc -l <"$T/err")" -le 2 ] || fail "esgx $args: more than two lines on stderr"
    case " $args " in *" --json "*) ;; *) [ -s "$T/out" ] && fail "esgx $args wrote to stdout";; esac
done <<'EOF'
login|--node URL is required|login
keys|give a subcommand|keys
keys shw|did you mean 'show'|keys
keys import|FILE is required|keys import
keys show extra|unexpected argument 'extra'|keys show
functions transfer pay|NAME and --to PUBKEY are required|functions transfer
functions transfer pay --to abc|--to must be a compressed public key|functions transfer
invoke 0000000000000000000000000000000000000000000000000000000000000000 --owner 02|--owner goes with a NAME|invoke
invoke pay --owner xyz|--owner must be 66 lowercase hex|invoke
login --node|--node needs a value|login
login --node ftp://example.org|http:// or https://|login
login --node http://127.0.0.1:1 --bogus|unknown option '--bogus'|login
login --node http://127.0.0.1:1 --token a --token-file b|not both|login
functions|give a subcommand|functions
functions frobnicate|unknown subcommand 'frobnicate'|functions
functions deploy|--name and one of --path or --url|functions deploy
functions deploy --name x|--name and one of --path or --url|functions deploy
functions deploy --path x.wasm|--name and one of --path or --url|functions deploy
functions deploy --name bad/name --path x.wasm|NAME must be|functions deploy
functions deploy --name x --path x.wasm --what|unknown option '--what'|functions deploy
functions list extra|unexpected argument 'extra'|functions list
functions delete|NAME is required|functions delete
functions delete a b|unexpected argument 'b'|functions delete
functions delete bad/name|NAME must be|functions delete
invoke|HASH or NAME is required|invoke
invoke --fuel 0 abc|--fuel wants a positive integer|invoke
invoke --fuel x abc|--fuel wants a positive integer|invoke
invoke --input a --input-file b abc|not both|invoke
invoke a b|unexpected argument 'b'|invoke
invoke --nope abc|unknown option '--nope'|invoke
verify|--request and --response are required|verify
verify --request r.json|--request and --response are required|verify
verify --request r.json --response a.bin --fuel-limit -1|--fuel-limit|verify
verify --request r.json --response a.bin --json --print-output|not both|verify
verify --request r.json --response a.bin extra|unexpected argument 'extra'|verify
nodes --bogus|unknown option '--bogus'|nodes
attest --quote q|--quote and --collateral are required|attest
attest --quote|--quote needs a value|attest
sim|give a subcommand|sim
sim init|DIR is required|sim init
sim quote|--bundle DIR is required|sim quote
sim frob|unknown subcommand 'frob'|sim
encrypt|give a mode|encrypt
hash --keyed --derive-key x|cannot be used together|hash
hash -q|unknown option '-q'|hash
run|missing MODULE.wasm|run
completion|name the shell|completion
EOF
run 2
has err "give a command"
has err "see 'esgx --help'"
ok "wrong usage exits 2 with one line and where the usage is"

# ---- did you mean: misspelled commands, subcommands and options (edit distance <= 2)
while IFS='|' read -r args want cmd; do
    # shellcheck disable=SC2086
    run 2 $args
    has err "did you mean '$want'?"
    has err "see 'esgx $cmd--help'"
done <<'EOF'
invok|invoke|
functons list|functions|
nodse|nodes|
invoke --inptu x|--input|invoke 
invoke --inptu=x abc|--input|invoke 
invoke abc --decrpyt|--decrypt|invoke 
functions delet x|delete|functions 
functions deploy --nmae x|--name|functions deploy 
functions list --jsn|--json|functions list 
encrypt modul|module|encrypt 
encrypt wasm --pubky x|--pubkey|encrypt wasm 
run m.wasm --fule 3|--fuel|run 
hash --lenght 3|--length|hash 
attest --colateral x|--collateral|attest 
sim quote --bundel x|--bundle|sim quote 
login --nod x|--node|login 
nodes --verfy|--verify|nodes 
verify --requets x|--request|verify 
invoke --hepl|--help|invoke 
EOF
# nothing close: no guess
run 2 frobnicate
has err "unknown command 'frobnicate'"
grep -q "did you mean" "$T/err" && fail "a guess for frobnicate"
run 2 invoke --zzzzzz abc
grep -q "did you mean" "$T/err" && fail "a guess for --zzzzzz"
run 2 hash -x
grep -q "did you mean" "$T/err" && fail "a guess for the one-letter -x"
ok "did you mean for commands, subcommands and options"

# ---- --json: failures end with one JSON error object on stdout (the human line stays
# on stderr), usage errors included
# json_err EXIT CODE: stdout is exactly one object {"error", "code": CODE, "exit": EXIT}
json_err() {
    python3 - "$T/out" "$1" "$2" <<'PY' || fail "JSON error object (want exit $1, code $2)"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert o["exit"] == int(sys.argv[2]), o
assert o["code"] == sys.argv[3], o
assert isinstance(o["error"], str) and o["error"], o
PY
}
run 2 invoke --json --inptu x
json_err 2 usage
has err "unknown option '--inptu'"
run 2 functions list --json extra
json_err 2 usage
run 2 functions deploy --json --name x
json_err 2 usage
run 2 run --json
json_err 2 usage
run 2 nodes --json --bogus
json_err 2 usage
run 2 verify --json --request r.json
json_err 2 usage
run 1 invoke --json abc
json_err 1 not_logged_in
has err "not logged in"
run 1 functions list --json
json_err 1 not_logged_in
run 1 nodes --json
json_err 1 not_logged_in
# a failed local run: run's own JSON error, with code and exit
printf 'not wasm' >"$T/junk.wasm"
run 1 run "$T/junk.wasm" --json
json_err 1 failed
has err "junk.wasm"
# commands without --json print no JSON
run 2 hash --json
[ -s "$T/out" ] && fail "hash printed JSON"
ok "--json failures print one JSON error object"

# ---- esgx run --tier: the tier the module ran on is in --json; the compiler and the
# interpreter give the same result and fuel; a bad --tier or ESGX_WASM_TIER is a usage
# error naming the value (and the variable) before anything runs
# run_tier EXIT [VAR=VALUE] ARGS...: like run, with ESGX_WASM_TIER set or unset
run_tier() {
    local want=$1; shift
    local envset=(env -u ESGX_WASM_TIER)
    case "$1" in ESGX_WASM_TIER=*) envset=(env "$1"); shift;; esac
    "${envset[@]}" "$ESGX" "$@" >"$T/out" 2>"$T/err" </dev/null
    local rc=$?
    [ "$rc" = "$want" ] || fail "${envset[*]} esgx $* exited $rc, expected $want"
}
# tier_of: "TIER RESULT FUEL OUTPUT" of the last --json run
tier_of() { python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(o["tier"], o["result"], o["fuel_used"], o["output"])' "$T/out"; }
if [ -f "$BUILD/examples/echo.wasm" ]; then
    echo_wasm=$BUILD/examples/echo.wasm
    run_tier 0 run "$echo_wasm" --input tiers --json
    best=$(tier_of | cut -d' ' -f1)    # no flag, no variable: the compiler where available
    case "$best" in interp|jit) ;; *) fail "run --json tier '$best'";; esac
    run_tier 0 run "$echo_wasm" --input tiers --json --tier interp
    interp=$(tier_of)
    [ "${interp%% *}" = interp ] || fail "--tier interp ran on '${interp%% *}'"
    run_tier 0 run "$echo_wasm" --input tiers --json --tier jit
    jit=$(tier_of)
    [ "${jit%% *}" = "$best" ] || fail "--tier jit ran on '${jit%% *}', the default on '$best'"
    [ "${jit#* }" = "${interp#* }" ] || fail "jit and interp differ: '$jit' vs '$interp'"
    run_tier 0 run "$echo_wasm" --input tiers --tier=jit
    has out "tiers"
    run_tier 0 ESGX_WASM_TIER=interp run "$echo_wasm" --input tiers --json
    [ "$(tier_of)" = "$interp" ] || fail "ESGX_WASM_TIER=interp: $(tier_of)"
    run_tier 0 ESGX_WASM_TIER=jit run "$echo_wasm" --input tiers --json --tier interp
    [ "$(tier_of)" = "$interp" ] || fail "--tier interp must win over ESGX_WASM_TIER=jit"
    run_tier 0 ESGX_WASM_TIER=jit run "$echo_wasm" --input tiers --json
    [ "$(tier_of | cut -d' ' -f1)" = "$best" ] || fail "ESGX_WASM_TIER=jit: $(tier_of)"
fi
run_tier 2 run "$T/none.wasm" --tier bogus
has err "run: --tier: tier 'bogus' is not 'interp' or 'jit'"
has err "see 'esgx run --help'"
[ -s "$T/out" ] && fail "--tier bogus wrote to stdout"
run_tier 2 run "$T/none.wasm" --tier bogus --json
json_err 2 usage
grep -q "bogus" "$T/out" || fail "the JSON error does not name the bad tier"
run_tier 2 run "$T/none.wasm" --tier
has err "--tier needs a value"
run_tier 2 ESGX_WASM_TIER=bogus run "$T/none.wasm"
has err "ESGX_WASM_TIER: tier 'bogus' is not 'interp' or 'jit'"
run_tier 2 ESGX_WASM_TIER=bogus run "$T/none.wasm" --json
json_err 2 usage
grep -q "ESGX_WASM_TIER" "$T/out" || fail "the JSON error does not name ESGX_WASM_TIER"
run_tier 2 run "$T/none.wasm" --tire jit
has err "did you mean '--tier'?"
run_tier 2 dev --tier bogus
has err "dev: --tier: tier 'bogus'"
run_tier 2 ESGX_WASM_TIER=bogus dev
has err "ESGX_WASM_TIER: tier 'bogus'"
ok "run --tier interp|jit (same result and fuel), ESGX_WASM_TIER, bad values refused"

# ---- not logged in: exit 1 and say how to log in
for args in "functions list" "invoke Myfunction" \
            "functions deploy --name x --path /dev/null" "functions delete x"; do
    # shellcheck disable=SC2086
    run 1 $args
    has err "not logged in"
    has err "esgx login --node URL"
done
ok "commands before login say to log in"

# ---- network errors name the method, the URL and the cause; exit 3
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run 3 login --node "http://127.0.0.1:$PORT"
has err "GET http://127.0.0.1:$PORT/attestation"
has err "Connection refused"
[ -e "$XDG_CONFIG_HOME/esgx/config" ] && fail "a failed login wrote the config"
run 3 login --node "http://nonexistent-host.invalid:8080/"
has err "GET http://nonexistent-host.invalid:8080/attestation"
has err "resolve"
ok "network errors name URL and cause"

# an existing config pointing at a dead node: invoke and list fail with exit 3
mkdir -p "$XDG_CONFIG_HOME/esgx"
printf 'node = http://127.0.0.1:%s\ntoken = %064d\nnetwork_key = 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\n' \
    "$PORT" 0 >"$XDG_CONFIG_HOME/esgx/config"
chmod 600 "$XDG_CONFIG_HOME/esgx/config"
run 3 invoke "$(printf '%064d' 0)" --input x
has err "POST http://127.0.0.1:$PORT/services/3"
has err "Connection refused"
run 3 functions list
has err "GET http://127.0.0.1:$PORT/functions"
run 3 functions list --json
json_err 3 network
run 3 invoke --json "$(printf '%064d' 0)"
json_err 3 network
run 3 nodes --json
json_err 3 network
run 3 functions delete foo
has err "DELETE http://127.0.0.1:$PORT/functions/foo"
# deploy checks the file before any network traffic
printf 'not wasm at all' >"$T/x.txt"
run 1 functions deploy --name x --path "$T/x.txt"
has err "is not a WebAssembly module"
run 1 functions deploy --name x --path "$T/missing.wasm"
has err "missing.wasm: No such file or directory"
ok "dead node: invoke/list/delete exit 3 naming the URL; deploy checks the file first"

# a config readable by others is reported
chmod 644 "$XDG_CONFIG_HOME/esgx/config"
run 3 functions list
has err "readable by other users"
chmod 600 "$XDG_CONFIG_HOME/esgx/config"

# ---- verify: unreadable or malformed inputs exit 1 with a clear message
H=$(printf '%064d' 0)
printf '{"hash":"%s","input":"x"}' "$H" >"$T/req.json"
printf 'garbage' >"$T/resp.bin"
run 1 verify --request "$T/req.json" --response "$T/resp.bin"
has err "malformed answer"
printf '{"hash":"%s","bogus":1}' "$H" >"$T/bad.json"
run 1 verify --request "$T/bad.json" --response "$T/resp.bin"
has err "unknown field 'bogus'"
run 1 verify --request "$T/nope.json" --response "$T/resp.bin"
has err "nope.json: No such file or directory"
run 2 verify --request "$T/req.json" --response "$T/resp.bin" --network-key 1234
has err "network key"
ok "verify rejects malformed requests and answers"

# ---- --version: "esgx VERSION", VERSION being project(VERSION) of CMakeLists.txt
V=$(sed -n 's/^project(esgx VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$V" ] || fail "no project(esgx VERSION ...) in CMakeLists.txt"
run 0 --version
[ "$(cat "$T/out")" = "esgx $V" ] || fail "esgx --version printed '$(cat "$T/out")', want 'esgx $V'"
ok "--version prints esgx $V"

# ---- number options are decimal everywhere (esgx_parse_u64): 010 is ten, junk is usage
run 2 invoke --fuel 0x10 abc
has err "0x10"
run 2 hash --length 1e3 /dev/null
has err "1e3"
run 2 sim quote --isvsvn 70000
has err "out of range"
ok "number options: one decimal parser"

# ---- the option tables (each command's cli_option table, listed in cli_spec.c), which
# the parser, did-you-mean and completion all read, against every --help and against
# docs/cli.md. The paths and options come from `esgx completion bash` (the tables
# themselves), so a command or an option added to a table is checked without editing
# this test: each option of a table is in the command's --help, each --option a --help
# names is in a table, and each option docs/cli.md shows for a command is in its table.
"$ESGX" completion bash >"$T/complete.bash" 2>"$T/err" || fail "esgx completion bash failed"
# all_paths: every command, and every "command subcommand" (from the completion script)
all_paths() {
    bash -c 'source "$1"; COMP_WORDS=(esgx ""); COMP_CWORD=1; _esgx
             for c in "${COMPREPLY[@]}"; do
                 case $c in -*) continue;; esac
                 echo "$c"
                 for s in $(_esgx_subcommands "$c"); do echo "$c $s"; done
             done' _ "$T/complete.bash"
}
options_of() { bash -c 'source "$1"; _esgx_options "$2"' _ "$T/complete.bash" "$1"; }
all_paths >"$T/paths"
n_paths=0
while read -r p; do
    n_paths=$((n_paths + 1))
    # shellcheck disable=SC2086
    "$ESGX" $p --help >"$T/help.$n_paths" 2>"$T/err" || fail "esgx $p --help failed"
    grep -q "usage: esgx" "$T/help.$n_paths" || fail "esgx $p --help prints no usage"
    [ -s "$T/err" ] && fail "esgx $p --help wrote to stderr"
done <"$T/paths"
i=0
while read -r p; do
    i=$((i + 1))
    opts=$(options_of "$p")
    for o in $opts; do
        grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" "$T/help.$i" || fail "esgx $p --help lacks $o"
    done
    # a --help may name the options of its sibling subcommands (encrypt: "(wasm) --path")
    # and of the commands that share its text (new, build and deploy)
    family=$(for s in $(bash -c 'source "$1"; _esgx_subcommands "${2%% *}"' _ "$T/complete.bash" "$p"); do
                 options_of "${p%% *} $s"; done
             j=0
             while read -r q; do
                 j=$((j + 1))
                 cmp -s "$T/help.$i" "$T/help.$j" && options_of "$q"
             done <"$T/paths")
    family=$(echo $family)
    # (other programs' options: esgxd --etcd, quoted commands like 'esgx login --node')
    for o in $(sed "s/esgxd --[a-z-]*//g; s/'[^']*'//g; s/\`[^\`]*\`//g" "$T/help.$i" |
               grep -oE -- '(^|[ [|])--[a-z][a-z-]*' | sed 's/^[ [|]//' | sort -u); do
        case " $opts $family --help " in
        *" $o "*) ;;
        *) fail "esgx $p --help names $o, no option table has it";;
        esac
    done
done <"$T/paths"
[ "$n_paths" -ge 20 ] || fail "only $n_paths command paths in the completion script"
# every command of `esgx --help` is completed (so it has a row in cli_spec.c)
"$ESGX" --help >"$T/help"
for c in $(sed -n 's/^  \([a-z]*\) .*/\1/p' "$T/help"); do
    all_paths | grep -qx "$c" || fail "command $c is not completed"
done
# docs/cli.md: the options of each synopsis line ("esgx PATH ..." in a code block, and
# its indented continuation lines) and of each inline `esgx PATH ...` are in PATH's table
python3 - "$SRC/docs/cli.md" "$T/complete.bash" <<'PY' >"$T/doc_opts" || fail "reading docs/cli.md"
import re, sys
text = open(sys.argv[1]).read()
subs = {}
for m in re.finditer(r'^    "([a-z]+)"\) echo "([^"]*)" ;;$',
                     open(sys.argv[2]).read().split("_esgx_options()")[0], re.M):
    subs[m.group(1)] = m.group(2).split()
def path_of(words):
    if len(words) > 1 and words[1] in subs.get(words[0], []):
        return words[0] + " " + words[1]
    return words[0]
uses = []   # (path, option)
def add(cmdline):
    words = cmdline.split()
    if len(words) < 2 or words[0] != "esgx" or not re.fullmatch(r"[a-z]+", words[1]):
        return None   # esgx --version, esgx COMMAND
    path = path_of(words[1:])
    cmdline = re.split(r'\$\(|;|&&', cmdline)[0]   # not a nested or next command
    for o in re.findall(r'(?<![A-Za-z0-9-])--[a-z][a-z-]*', cmdline):
        uses.append((path, o))
    return path
in_code, cur = False, None
for line in text.splitlines():
    if line.startswith("```"):
        in_code, cur = not in_code, None
        continue
    if not in_code:
        continue
    if line.startswith("esgx "):
        cur = add(line)
    elif cur and line.startswith(" ") and line.strip():
        add("esgx " + cur + " " + line)
    else:
        cur = None
for m in re.finditer(r'`(esgx [^`]+)`', text):
    add(" ".join(m.group(1).split()))
for path, o in sorted(set(uses)):
    print(f"{path}|{o}")
PY
[ "$(wc -l <"$T/doc_opts")" -ge 40 ] || fail "too few options found in docs/cli.md"
while IFS='|' read -r p o; do
    case " $(options_of "$p") " in
    *" $o "*) ;;
    *) fail "docs/cli.md shows 'esgx $p ... $o', the option table of '$p' has no $o";;
    esac
done <"$T/doc_opts"
# a hidden developer option is parsed (its value checked) but not completed or guessed
run 2 attest --quote q --collateral c --bench 0
has err "attest: --bench: '0' is out of range"
options_of attest | grep -q -- --bench && fail "the hidden --bench is completed"
run 2 attest --bnech 3
grep -q "did you mean" "$T/err" && fail "a guess of the hidden --bench"
# values after '=', and glued to a one-letter alias
run 0 hash -l8 /dev/null
[ "$(cut -d' ' -f1 "$T/out")" = "$("$ESGX" hash --length=8 /dev/null | cut -d' ' -f1)" ] ||
    fail "hash -l8 and --length=8 differ"
[ "$(cut -c1-16 <<<"$(cat "$T/out")")" = "$("$ESGX" hash /dev/null | cut -c1-16)" ] ||
    fail "hash -l8 is not the first 8 bytes of the hash"
ok "the option tables match every --help and docs/cli.md"

# ---- completion: source the script, set COMP_WORDS/COMP_CWORD, call _esgx
# complete WORDS...: the last word is the one being completed; prints COMPREPLY sorted
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _esgx
             printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$T/complete.bash" "$@"
}
want() { [ "$1" = "$2" ] || fail "completion of '$3': got [$(echo $1)], want [$(echo $2)]"; }
grep -q '^complete .*-F _esgx esgx$' "$T/complete.bash" || fail "no complete line"
want "$(complete_words esgx inv)" "invoke" "esgx inv"
want "$(complete_words esgx fu)" "functions" "esgx fu"
want "$(complete_words esgx functions d)" "$(printf 'delete\ndeploy')" "esgx functions d"
want "$(complete_words esgx sim "")" "$(printf -- '--help\ninit\nquote')" "esgx sim"
want "$(complete_words esgx encrypt w)" "wasm" "esgx encrypt w"
want "$(complete_words esgx invoke abc --inp)" "$(printf -- '--input\n--input-file')" "esgx invoke --inp"
want "$(complete_words esgx functions deploy --no-)" "$(printf -- '--no-encrypt\n--no-progress')" \
    "esgx functions deploy --no-"
want "$(complete_words esgx encrypt wasm --pa)" "--path" "esgx encrypt wasm --pa"
want "$(complete_words esgx encrypt module --pa)" "" "esgx encrypt module --pa"
want "$(complete_words esgx nodes --)" "$(printf -- '--help\n--json\n--sim-root\n--verify')" "esgx nodes --"
# a file argument is left to bash's default completion (complete -o default)
want "$(complete_words esgx run mod)" "" "esgx run mod"
run 0 completion --help
has out "usage: esgx completion bash"
ok "bash completion: commands, subcommands, options"

# ---- attest: a sim quote checked against the Intel root hints at --sim-root
run 0 sim init "$T/bundle"
"$ESGX" sim quote --bundle "$T/bundle" >"$T/sim.quote" || fail "sim quote"
run 1 attest --quote "$T/sim.quote" --collateral "$T/bundle/collateral.json"
has err "not trusted"
has err "--sim-root BUNDLE/sim_root.pem"
run 0 attest --quote "$T/sim.quote" --collateral "$T/bundle/collateral.json" \
    --sim-root "$T/bundle/sim_root.pem"
grep -q "hint" "$T/err" && fail "a hint although the quote is trusted"
ok "attest hints at --sim-root when the quote's root is not Intel's"

# ---- a real node: invoking an encrypted hash without --decrypt (and a plain one with
# it) names the flag to change; under --json the node's code and the hint are in the
# error object
for b in esgxd esgx-enclave examples/hello.wasm; do
    [ -e "$BUILD/$b" ] || { echo "ok - (skipped the node checks: $b not built)"; exit 0; }
done
rm -rf "$XDG_CONFIG_HOME"
NODE_PID=
trap 'kill -TERM $NODE_PID 2>/dev/null; wait $NODE_PID 2>/dev/null; rm -rf "$T"' EXIT
esgxd_start "$T/node" --init
NPORT=$PORT
for _ in $(seq 1 100); do
    "$ESGX" login --insecure-skip-attest --node "http://127.0.0.1:$NPORT" \
        --token "$(cat "$T/node/admin.token")" >"$T/out" 2>"$T/err" && break
    sleep 0.1
done
has out "token accepted"
run 0 functions deploy --name enc --path "$BUILD/examples/hello.wasm" --json
ENC=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hash"])' "$T/out")
run 0 functions deploy --name plain --no-encrypt --path "$BUILD/examples/hello.wasm" --json
PLAIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hash"])' "$T/out")
run 1 invoke "$ENC" --input x
has err "invalid_module"
has err "add --decrypt"
run 1 invoke "$ENC" --input x --json
python3 - "$T/out" <<'PY' || fail "JSON error object of the encrypted invoke"
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["code"] == "invalid_module" and o["exit"] == 1, o
assert "add --decrypt" in o["hint"], o
PY
run 0 invoke "$ENC" --input x --decrypt
run 1 invoke "$PLAIN" --input x --decrypt
has err "decrypt_failed"
has err "drop --decrypt"
run 0 invoke "$PLAIN" --input x
grep -q "hint" "$T/err" && fail "a hint on a good call"
# the name carries its own flag: no hint needed
run 0 invoke enc --input x
ok "invoke names --decrypt when the content is (not) encrypted"
