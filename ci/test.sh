#!/usr/bin/env bash
# ci/test.sh: set up a fresh machine (ci/setup.sh) and run every test.
#
#   ci/test.sh [extra bazel test flags] [-- TARGET_PATTERN...]
# e.g. ci/test.sh --test_tag_filters=-slow
#      ci/test.sh -- //profile/...        # those targets instead of //...
#
# JLEAK_REMOTE_CACHE=http://HOST:PORT/PATH shares build and test results
# through that HTTP cache (Bazel's --config=remote-cache; docs/remote-cache.md,
# ci/remote_cache.sh starts one). JLEAK_REMOTE_CACHE_UPLOAD=0 only reads
# from it (builds not trusted to write, e.g. pull requests from forks).
# BAZEL="bazel --output_base=DIR" runs Bazel in another output base.
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci/setup.sh
flags=(--config=ci)
if [[ -n "${JLEAK_REMOTE_CACHE:-}" ]]; then
  flags+=(--config=remote-cache "--remote_cache=${JLEAK_REMOTE_CACHE}")
  if [[ "${JLEAK_REMOTE_CACHE_UPLOAD:-1}" == 0 ]]; then
    flags+=(--noremote_upload_local_results)
  fi
fi
if [[ " $* " == *" -- "* ]]; then
  exec "${bazel_cmd[@]}" test "${flags[@]}" "$@"
fi
exec "${bazel_cmd[@]}" test "${flags[@]}" "$@" //...
