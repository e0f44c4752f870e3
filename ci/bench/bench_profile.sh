#!/usr/bin/env bash
# ci/bench/bench_profile.sh: whole-process comparison of `jleak profile --base A B`
# with the reference, `jeprof --text --base=A <java> B`, on the same JVM
# heap profiles, in the same run. Prints the median wall time and peak RSS
# of each over RUNS runs (one tool after the other), and the ratio.
#
#   ci/bench/bench_profile.sh [--with-debug-info] [RUNS] [A.heap B.heap]
# Defaults: 5 runs on testdata/profiles/smoke (two dumps of one JVM).
#
# --with-debug-info first installs Debian's libc6-dbg (apt-get; root or
# password-less sudo): libc's separate debug file, whose compressed DWARF
# jeprof's addr2line inflates, and which jleak must not pay for when it
# shows no line. A production machine usually has it; ci/setup.sh does not
# install it, so the benchmark does. The ratio without it is printed too
# when it is already installed: the figure that matters is with it.
#
# Besides the default text report (function names: the symbol tables name
# them), `jleak profile --inlines` is timed: the same report with inlined
# functions from DWARF, the part of jeprof's work that reads debug info.
# BAZEL="bazel --output_base=DIR" builds in another output base.
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_debug_info=0
if [[ "${1:-}" == "--with-debug-info" ]]; then with_debug_info=1; shift; fi
runs="${1:-5}"
a="${2:-testdata/profiles/smoke/jeprof.18581.0.i0.heap}"
b="${3:-testdata/profiles/smoke/jeprof.18581.3.f.heap}"

if [[ "${with_debug_info}" -eq 1 ]] && ! apt_installed libc6-dbg; then
  echo "bench_profile: installing libc6-dbg (libc's debug information)" >&2
  apt_update
  apt_install libc6-dbg
fi
if apt_installed libc6-dbg; then
  debug_info="libc6-dbg $(dpkg-query -W -f='${Version}' libc6-dbg) installed"
else
  debug_info="no libc6-dbg (pass --with-debug-info to install it)"
fi

ci_build -c opt //harness:jleak //third_party/jemalloc:jeprof //leakers/smoke:libsmoke_jni.so
smoke_dir="${bin}/leakers/smoke"

echo "diff of ${a##*/} -> ${b##*/}, ${runs} runs each; ${debug_info}" >&2
# Warm the page cache for every file either tool reads, so that neither
# pays for the first read of libjvm.so or libc's debug file.
"${bin}/third_party/jemalloc/bin/jeprof" --text --base="${a}" "${java}" "${b}" >/dev/null 2>&1 || true
"${bin}/harness/jleak" profile --inlines --binary-dir "${smoke_dir}" \
  --base "${a}" "${b}" >/dev/null 2>&1 || true
t_jeprof="$(bench jeprof "${bin}/third_party/jemalloc/bin/jeprof" --text --show_bytes \
  --base="${a}" "${java}" "${b}")"
t_jleak="$(bench jleak "${bin}/harness/jleak" profile --bytes \
  --binary-dir "${smoke_dir}" --base "${a}" "${b}")"
t_inlines="$(bench inlines "${bin}/harness/jleak" profile --bytes --inlines \
  --binary-dir "${smoke_dir}" --base "${a}" "${b}")"
awk -v j="${t_jeprof}" -v l="${t_jleak}" -v i="${t_inlines}" -v d="${debug_info}" 'BEGIN {
  printf "jleak is %.1fx faster than jeprof (%s)\n", (l > 0 ? j / l : 0), d
  printf "jleak --inlines (DWARF read) is %.1fx faster than jeprof\n", (i > 0 ? j / i : 0) }'
