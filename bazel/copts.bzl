"""Compiler flags for the project's own C++ code: one source of truth.

External code is compiled quietly (see .bazelrc, --per_file_copt).
"""

JLEAK_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
]

# Tests may use gtest macros that trip -Wextra checks; keep them strict
# otherwise.
JLEAK_TEST_COPTS = JLEAK_COPTS + [
    "-Wno-sign-compare",
]
