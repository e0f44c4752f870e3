#!/usr/bin/env bash
# ci/test.sh: set up a fresh machine (ci/setup.sh) and run every test.
#
#   ci/test.sh [extra bazel test flags]
# e.g. ci/test.sh --test_tag_filters=-slow
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ci/setup.sh
exec bazel test --config=ci "$@" //...
