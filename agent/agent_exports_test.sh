#!/usr/bin/env bash
# agent_exports_test.sh: libjleak_agent.so exports its JVMTI entry points
# and nothing else (libjleak_agent.lds), so that, preloaded into a native
# program or loaded into a JVM, it never interposes the program's own
# symbols. Checked on the dynamic symbol table: every defined symbol that
# is not local.
#
#   agent_exports_test.sh AGENT_SO
set -euo pipefail
agent="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -r "${agent}" ]] || fail "no agent at ${agent}"
command -v readelf >/dev/null || fail "readelf (binutils) is not installed"
# "Num: Value Size Type Bind Vis Ndx Name": defined (Ndx not UND), GLOBAL
# or WEAK binding.
exported="$(readelf --dyn-syms -W "${agent}" |
  awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") { print $8 }' |
  sed 's/@.*//' | sort -u | tr '\n' ' ')"
[[ "${exported}" == "Agent_OnAttach Agent_OnLoad " ]] ||
  fail "exported: ${exported:0:600} (expected only Agent_OnAttach Agent_OnLoad)"
# What it needs from elsewhere is still imported (not hidden by mistake).
# (Read whole first: grep -q closing the pipe early fails it under pipefail.)
imported="$(readelf --dyn-syms -W "${agent}" | awk '$7 == "UND" { print $8 }')"
grep -q '^malloc' <<<"${imported}" ||
  fail "the agent imports no malloc: the dynamic symbol table is not what was expected"
echo "PASS: exported ${exported}"
