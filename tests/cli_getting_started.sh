#!/bin/bash
# cli_getting_started.sh: runs docs/getting-started.md literally and compares outputs.
#
# Every ```sh block of the page is sent, in order, to ONE bash process (so `&`, `kill %1`
# and the working directory carry over, as for a user pasting into one terminal) running
# in a fresh directory that holds only a link to the source tree's sdk/ (and the
# ./esgx-node folder scripts/run.sh leaves, keyed: the page uses a folder of its own), with the build
# directory first on PATH and a temporary XDG_CONFIG_HOME/HOME. The only edits are:
#   - 127.0.0.1:8080 becomes 127.0.0.1:<free port>, so tests can run side by side;
#   - <placeholder> in a command becomes the value that placeholder matched in an
#     earlier output (as the reader pastes e.g. the hash that deploy printed).
# The ```text block that follows a ```sh block is its expected stdout+stderr: compared
# line by line after removing \r and trailing spaces and squeezing runs of spaces;
# <name> matches a run of characters other than space and quotes, and the same name must
# match the same value everywhere on the page. A ```sh block without a ```text block
# must print nothing.
set -u
SRC=${ESGX_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${ESGX_BUILD_DIR:-$SRC/build}
for b in esgx esgxd esgx-enclave; do
    [ -x "$BUILD/$b" ] || { echo "skip: $BUILD/$b not built" >&2; exit 77; }
done
for c in curl clang-19 python3; do
    command -v "$c" >/dev/null || { echo "skip: $c not installed" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/esgx-cli-gs.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/work" "$T/home/config"
ln -s "$SRC/sdk" "$T/work/sdk"
# what scripts/run.sh leaves in the source tree: its node's state in ./esgx-node, keyed
# (a node there refuses --init). The page must not start its node on that folder.
mkdir -p "$T/work/esgx-node/sim"
printf 'run.sh key\n' >"$T/work/esgx-node/shared_key.sealed"

exec python3 - "$SRC/docs/getting-started.md" "$T" "$BUILD" <<'PYEOF'
import os, re, select, signal, socket, subprocess, sys, time

doc, tmp, build = sys.argv[1:4]
work = os.path.join(tmp, 'work')

def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p

port = str(free_port())

# ---- extract fenced blocks: [(cmds, expected or None)]
blocks, lang, buf = [], None, []
for line in open(doc).read().split('\n'):
    if lang is None:
        m = re.match(r'^```(\w*)\s*$', line)
        if m:
            lang, buf = m.group(1), []
    elif line.strip() == '```':
        text = '\n'.join(buf).replace('127.0.0.1:8080', '127.0.0.1:' + port)
        if lang == 'sh':
            blocks.append([text, None])
        elif lang == 'text':
            if not blocks or blocks[-1][1] is not None:
                sys.exit('FAIL: a ```text block without a ```sh block before it')
            blocks[-1][1] = text
        lang = None
    else:
        buf.append(line)
if len(blocks) < 8:
    sys.exit('FAIL: only %d sh blocks found in %s' % (len(blocks), doc))

env = dict(os.environ)
env['PATH'] = build + os.pathsep + env.get('PATH', '')
env['HOME'] = os.path.join(tmp, 'home')
env['XDG_CONFIG_HOME'] = os.path.join(tmp, 'home', 'config')
env.pop('ESGX_TIMEOUT', None)
sh = subprocess.Popen(['bash', '--norc', '--noprofile'], cwd=work, env=env,
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, start_new_session=True, text=True)
values = {}

def stop(code, msg=None):
    if msg:
        print('FAIL: ' + msg, file=sys.stderr)
        log = os.path.join(work, 'tutorial-node.log')
        if os.path.exists(log):
            print('--- tutorial-node.log (tail):\n' + ''.join(open(log).readlines()[-30:]),
                  file=sys.stderr)
    try:
        os.killpg(sh.pid, signal.SIGTERM)   # the shell's own group: esgxd if still running
    except ProcessLookupError:
        pass
    sys.exit(code)

def run_block(i, cmds):
    out = os.path.join(tmp, 'out.%d' % i)
    sh.stdin.write('{\n%s\n} > %s 2>&1 < /dev/null\necho "__ESGX_BLOCK_DONE__ $?"\n'
                   % (cmds, out))
    sh.stdin.flush()
    deadline = time.time() + 180
    while True:
        r, _, _ = select.select([sh.stdout], [], [], max(0, deadline - time.time()))
        if not r:
            stop(1, 'block %d did not finish within 180 s:\n%s' % (i, cmds))
        line = sh.stdout.readline()
        if not line:
            stop(1, 'the shell exited during block %d' % i)
        if line.startswith('__ESGX_BLOCK_DONE__'):
            return int(line.split()[1]), open(out, errors='replace').read()
        print('shell: ' + line.rstrip())

def norm(text):
    lines = [re.sub(r' +', ' ', l.replace('\r', '').rstrip()) for l in text.split('\n')]
    while lines and not lines[-1]:
        lines.pop()
    return lines

def match_line(exp, got, i):
    names, pat, pos = [], '', 0
    for m in re.finditer(r'<([a-z][a-z0-9 ]*)>', exp):
        pat += re.escape(exp[pos:m.start()])
        name = m.group(1)
        if name in names:
            pat += '(?P=g%d)' % names.index(name)
        else:
            pat += '(?P<g%d>[^\\s"\']+?)' % len(names)
            names.append(name)
        pos = m.end()
    pat += re.escape(exp[pos:])
    m = re.fullmatch(pat, got)
    if not m:
        return 'expected  %r\n      got  %r' % (exp, got)
    for k, name in enumerate(names):
        v = m.group('g%d' % k)
        if name in values and values[name] != v:
            return '<%s> is %r here but was %r before' % (name, v, values[name])
        values[name] = v
    return None

for i, (cmds, expected) in enumerate(blocks):
    def subst(m):
        if m.group(1) not in values:
            stop(1, 'block %d uses <%s> before any output showed it' % (i, m.group(1)))
        return values[m.group(1)]
    cmds = re.sub(r'<([a-z][a-z0-9 ]*)>', subst, cmds)
    print('$ ' + cmds.replace('\n', '\n$ '))
    rc, got = run_block(i, cmds)
    g, e = norm(got), norm(expected or '')
    problems = []
    if len(g) != len(e):
        problems.append('%d output lines, the page shows %d' % (len(g), len(e)))
    else:
        for el, gl in zip(e, g):
            p = match_line(el, gl, i)
            if p:
                problems.append(p)
    if problems:
        stop(1, 'block %d:\n%s\n--- output:\n%s--- page shows:\n%s\n%s'
             % (i, cmds, got, expected or '(nothing)', '\n'.join(problems)))
    if rc != 0:
        stop(1, 'block %d exited with status %d:\n%s\n%s' % (i, rc, cmds, got))
    print(got, end='' if got.endswith('\n') or not got else '\n')
    print('ok - block %d' % i)

# the page ends with `kill %1`: the node must be gone (it exits 0 on SIGTERM)
rc, _ = run_block(len(blocks), 'wait %1; echo "node exit status $?"')
got = open(os.path.join(tmp, 'out.%d' % len(blocks))).read()
if 'node exit status 0' not in got and 'no such job' not in got:
    stop(1, 'esgxd did not stop cleanly after the page\'s kill %%1: %r' % got)
print('ok - getting-started ran with placeholders %s' % sorted(values))
stop(0)
PYEOF
