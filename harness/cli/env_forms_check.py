#!/usr/bin/env python3
# File: env_forms_check.py
#
# Reads one form of `jleak env` output the way its consumer would and
# prints the variables it defines as JSON, or exits 1 with a reason when
# the text would run or expand anything, or is not in the expected shape:
#
#   env_forms_check.py dockerfile OUT   # Dockerfile ENV (buildkit's rules)
#   env_forms_check.py kubernetes OUT   # env: list (YAML + Kubernetes $(VAR))
#   env_forms_check.py env-attacks JLEAK WORKDIR
#
# env-attacks runs `jleak env` with hostile paths in --prefix, --jemalloc,
# --agent and --control-dir, in each form: each must be refused (exit 2,
# one line) or read back (shell: run by sh in an empty directory) exactly,
# and as ld.so splits LD_PRELOAD and HotSpot JAVA_TOOL_OPTIONS; no command
# may run. Prints one FAIL line per case that does not hold.
import json
import re
import sys

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def dockerfile_word(word):
    """One word of an ENV instruction, by moby/buildkit's
    frontend/dockerfile/shell/lex.go with the default escape token."""
    out, i = [], 0
    while i < len(word):
        c = word[i]
        if c == "'":
            j = word.find("'", i + 1)
            if j < 0:
                die("dockerfile: unterminated single quote")
            out.append(word[i + 1:j])
            i = j + 1
        elif c == '"':
            i += 1
            while True:
                if i >= len(word):
                    die("dockerfile: unterminated double quote")
                c = word[i]
                if c == '"':
                    i += 1
                    break
                if c == "$":
                    die("dockerfile: unescaped $ would expand: " + word)
                if c == "\\" and i + 1 < len(word) and word[i + 1] in '"$\\':
                    out.append(word[i + 1])
                    i += 2
                    continue
                out.append(c)
                i += 1
        elif c == "\\":
            if i + 1 < len(word):
                out.append(word[i + 1])
            i += 2
        elif c == "$":
            die("dockerfile: unquoted $ would expand: " + word)
        elif c.isspace():
            die("dockerfile: white space splits the word: " + repr(word))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_unquoted_ws(text):
    """Splits an instruction's arguments at white space outside quotes."""
    words, cur, quote, i = [], [], None, 0
    while i < len(text):
        c = text[i]
        if quote:
            cur.append(c)
            if c == "\\" and quote == '"' and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            cur.append(c)
        elif c == "\\" and i + 1 < len(text):
            cur.append(c)
            cur.append(text[i + 1])
            i += 1
        elif c.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(c)
        i += 1
    if quote:
        die("dockerfile: unterminated quote")
    if cur:
        words.append("".join(cur))
    return words


def dockerfile(text):
    env = {}
    logical, pending = [], ""
    for line in text.split("\n"):
        if not pending and (not line.strip() or line.startswith("#")):
            continue
        if line.endswith("\\"):  # continued on the next line
            pending += line[:-1]
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        die("dockerfile: continuation at the end")
    for line in logical:
        if not line.startswith("ENV "):
            die("dockerfile: not an ENV line: " + repr(line))
        for word in split_unquoted_ws(line[4:]):
            name, eq, value = word.partition("=")
            if not eq or not NAME.fullmatch(name):
                die("dockerfile: not NAME=value: " + repr(word))
            env[name] = dockerfile_word(value)
    return env


def k8s_unescape(value):
    """Kubernetes env value: $$ is $, $(NAME) expands."""
    out, i = [], 0
    while i < len(value):
        if value.startswith("$$", i):
            out.append("$")
            i += 2
        elif value.startswith("$(", i) and ")" in value[i:]:
            die("kubernetes: $(...) would expand: " + value)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def kubernetes(text):
    lines = [l for l in text.split("\n") if l.strip() and not l.startswith("#")]
    if not lines or lines[0] != "env:":
        die("kubernetes: no env: line")
    body = lines[1:]
    if len(body) % 2:
        die("kubernetes: odd number of lines")
    env = {}
    for name_line, value_line in zip(body[::2], body[1::2]):
        m = re.fullmatch(r"  - name: ([A-Za-z_][A-Za-z0-9_]*)", name_line)
        v = re.fullmatch(r'    value: ("(?:[^"\\\x00-\x1f]|\\.)*")', value_line)
        if not m or not v:
            die("kubernetes: unexpected lines: %r %r" % (name_line, value_line))
        scalar = json.loads(v.group(1))  # a JSON string is a YAML scalar
        try:
            import yaml  # cross-check where PyYAML exists
            doc = yaml.safe_load(value_line.strip())
            if doc != {"value": scalar}:
                die("kubernetes: YAML reads %r, JSON %r" % (doc, scalar))
        except ImportError:
            pass
        env[m.group(1)] = k8s_unescape(scalar)
    return env


def hotspot_tokens(opts):
    """Arguments::parse_options_buffer: split at white space, quotes
    stripped (JDK 17)."""
    tokens, i = [], 0
    while i < len(opts):
        while i < len(opts) and opts[i] in " \t\n\r\v\f":
            i += 1
        if i >= len(opts):
            break
        tok = []
        while i < len(opts) and opts[i] not in " \t\n\r\v\f":
            if opts[i] in "'\"":
                j = opts.find(opts[i], i + 1)
                if j < 0:
                    die("JAVA_TOOL_OPTIONS: unmatched quote")
                tok.append(opts[i + 1:j])
                i = j + 1
            else:
                tok.append(opts[i])
                i += 1
        tokens.append("".join(tok))
    return tokens


def carry(env, jemalloc, agent, options):
    """Whether ld.so and HotSpot read back exactly the intended paths and
    agent options (a list)."""
    preload = [p for p in re.split(r"[ :]", env.get("LD_PRELOAD") or "") if p]
    if not preload or preload[0] != jemalloc:
        die("LD_PRELOAD carries %r, not %r" % (preload, jemalloc))
    if "$" in env["LD_PRELOAD"]:
        die("LD_PRELOAD holds $, which ld.so expands")
    tokens = hotspot_tokens(env.get("JAVA_TOOL_OPTIONS") or "")
    if len(tokens) != 1 or not tokens[0].startswith("-agentpath:"):
        die("JAVA_TOOL_OPTIONS splits into %r" % tokens)
    path, _, opts = tokens[0][len("-agentpath:"):].partition("=")
    if path != agent:
        die("-agentpath names %r, not %r" % (path, agent))
    if opts.split(",") != options:
        die("agent options %r, not %r" % (opts.split(","), options))


def shell(text, workdir):
    """Runs the shell form with sh in an empty directory, as `eval` would."""
    import os
    import subprocess
    with open(os.path.join(workdir, "env.sh"), "w",
              encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    before = sorted(os.listdir(workdir))
    # printf is built into sh: nothing is executed with the new
    # LD_PRELOAD.
    r = subprocess.run(
        ["/bin/sh", "-c", '. ./env.sh && printf "%s\\0" "$LD_PRELOAD" '
         '"$MALLOC_CONF" "$JAVA_TOOL_OPTIONS"'],
        cwd=workdir, env={"PATH": "/usr/bin:/bin", "HOME": "/home-of-sh"},
        capture_output=True, timeout=20)
    after = sorted(os.listdir(workdir))
    os.unlink(os.path.join(workdir, "env.sh"))
    if after != before:
        die("shell: running it made %r" % sorted(set(after) - set(before)))
    if r.returncode != 0 or r.stderr:
        die("shell: sh failed (%d): %r" % (r.returncode, r.stderr[:200]))
    values = r.stdout.decode("utf-8", "surrogateescape").split("\0")
    if len(values) != 4:
        die("shell: unexpected output %r" % r.stdout[:200])
    return dict(zip(("LD_PRELOAD", "MALLOC_CONF", "JAVA_TOOL_OPTIONS"), values))


# Values an attacker (or an unlucky user) passes as a path: each must be
# refused or come back literally, in every form.
def attack_values(marker):
    return [
        "/tmp/a$(touch %s)" % marker,
        "/tmp/a`touch %s`" % marker,
        "/tmp/a;touch %s" % marker,
        # A tab, not a space, so that no simple "quote if it has a space"
        # rule catches them.
        "/tmp/a;touch\t%s;" % marker,
        "/tmp/a>%s" % marker,
        "/tmp/a|touch\t%s|" % marker,
        "/tmp/a&&touch\t%s&&" % marker,
        "/tmp/a{b,c}",
        "/tmp/a\tb",
        "/tmp/a\ntouch %s\n" % marker,
        "/tmp/a\ntouch\t%s\n" % marker,
        "/tmp/$HOME",
        "/tmp/${HOME}",
        "/tmp/$(HOME)",
        "/tmp/a b",
        "/tmp/a'b",
        '/tmp/a"b',
        "/tmp/a\\b",
        "/tmp/a*",
        "/tmp/a:b",
        "/tmp/a,b",
        "/tmp/a=b",
        "/tmp/a#b",
        "/tmp/a\rb",
        "/tmp/a\x01b",
        "/tmp/ok-1.2_x+y@z",  # carried in every form
    ]


def env_attacks(jleak, workdir):
    import os
    import subprocess
    marker = os.path.join(workdir, "PWNED")
    scratch = os.path.join(workdir, "scratch")
    os.makedirs(scratch, exist_ok=True)
    bundled = subprocess.run([jleak, "env", "--format", "shell"],
                             capture_output=True, check=True).stdout.decode()
    bundled_env = shell(bundled, scratch)
    bundled_jemalloc = bundled_env["LD_PRELOAD"]
    bundled_agent = bundled_env["JAVA_TOOL_OPTIONS"][len("-agentpath:"):]
    bundled_agent = bundled_agent.partition("=")[0]
    cases = failures = refused = carried = 0
    for flag in ("--prefix", "--jemalloc", "--agent", "--control-dir"):
        for value in attack_values(marker):
            for form in ("shell", "dockerfile", "kubernetes"):
                cases += 1
                what = "%s %r --format %s" % (flag, value, form)
                r = subprocess.run([jleak, "env", flag, value, "--format", form],
                                   capture_output=True, timeout=30)
                why = None
                if r.returncode == 2:
                    err = r.stderr.decode("utf-8", "replace")
                    if r.stdout or err.count("\n") != 1 or not err.startswith("jleak env: "):
                        why = "refused, but not with one line on stderr: %r" % err
                    else:
                        refused += 1
                elif r.returncode != 0:
                    why = "exit %d" % r.returncode
                else:
                    text = r.stdout.decode("utf-8", "surrogateescape")
                    jemalloc, agent, options = bundled_jemalloc, bundled_agent, ["standby"]
                    if flag == "--prefix":
                        jemalloc = value + "/lib/libjemalloc.so.2"
                        agent = value + "/lib/libjleak_agent.so"
                    elif flag == "--jemalloc":
                        jemalloc = value
                    elif flag == "--agent":
                        agent = value
                    else:
                        options = ["standby", "control=" + value]
                    try:
                        if form == "shell":
                            env = shell(text, scratch)
                        elif form == "dockerfile":
                            env = dockerfile(text)
                        else:
                            env = kubernetes(text)
                        carry(env, jemalloc, agent, options)
                        carried += 1
                    except SystemExit:
                        why = "output not carried literally (reason above)"
                if os.path.exists(marker):
                    why = "ran a command (%s exists)" % marker
                    os.unlink(marker)
                if why:
                    failures += 1
                    print("FAIL env %s: %s" % (what, why), file=sys.stderr)
    print("env: %d cases, %d refused, %d carried, %d failed"
          % (cases, refused, carried, failures))
    return failures


if __name__ == "__main__":
    if sys.argv[1] == "env-attacks":
        sys.exit(1 if env_attacks(sys.argv[2], sys.argv[3]) else 0)
    text = open(sys.argv[2], encoding="utf-8", errors="surrogateescape").read()
    env = {"dockerfile": dockerfile, "kubernetes": kubernetes}[sys.argv[1]](text)
    json.dump(env, sys.stdout)
