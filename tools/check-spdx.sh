#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Lists every source file git tracks that lacks the licence line, and fails
# if there is one:
#
#   tools/check-spdx.sh
#
# prints the paths (one a line, relative to the repository's top) and exits
# 1 if any file lacks it, 0 if none does, 2 if it cannot tell (no git).
#
# A source file is a tracked file that ends in .c .h .cpp .hpp .pl .pm .t
# .sh .py .js .lua .conf or .in, is one of the build scripts (config,
# config.make, build.sh, .ci/run), is executable, or starts with "#!".
# Its licence line is "SPDX-License-Identifier: BSD-2-Clause" alone on a
# line of the first comment block, in the file's own comment form:
#
#   # SPDX-License-Identifier: BSD-2-Clause       sh, Perl, nginx conf, ...
#   // SPDX-License-Identifier: BSD-2-Clause      C++, JavaScript
#   /* SPDX-License-Identifier: BSD-2-Clause */   C, C++
#   -- SPDX-License-Identifier: BSD-2-Clause      Lua
#
# (within the first HEAD_LINES lines: after a #! line, or inside a longer
# header comment).  The working tree is checked, so a line added and not
# yet committed counts.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAD_LINES=30
LINE_RE='^[[:space:]]*(#|//|/\*|\*|--)?[[:space:]]*SPDX-License-Identifier: BSD-2-Clause[[:space:]]*(\*/)?[[:space:]]*$'

die() { printf 'check-spdx.sh: %s\n' "$*" >&2; exit 2; }

is_source() {
    local mode=$1 path=$2
    case $path in
        *.c|*.h|*.cpp|*.hpp|*.pl|*.pm|*.t|*.sh|*.py|*.js|*.lua|*.conf|*.in)
            return 0 ;;
        config|*/config|config.make|*/config.make|build.sh|.ci/run)
            return 0 ;;
    esac
    [ "$mode" = 100755 ] && return 0
    # the first two bytes, as text (binary files, e.g. fuzz seeds, hold NULs)
    [ "$(head -c 2 -- "$path" | tr -d '\0')" = '#!' ]
}

main() {
    local mode rest path checked=0 missing=0

    git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 \
        || die "$ROOT is not a git work tree"
    cd "$ROOT"

    # "<mode> <object> <stage>\t<path>", NUL-terminated: any file name works.
    while IFS= read -r -d '' rest; do
        mode=${rest%% *}
        path=${rest#*$'\t'}
        case $mode in
            100644|100755) ;;
            *) continue ;;      # symbolic links, submodules
        esac
        [ -f "$path" ] || continue      # deleted in the work tree
        is_source "$mode" "$path" || continue
        checked=$((checked + 1))
        if ! head -n "$HEAD_LINES" -- "$path" | grep -Eq -- "$LINE_RE"; then
            printf '%s\n' "$path"
            missing=$((missing + 1))
        fi
    done < <(git ls-files -s -z)

    if [ "$missing" -gt 0 ]; then
        printf 'check-spdx.sh: %d of %d source files lack "SPDX-License-Identifier: BSD-2-Clause"\n' \
            "$missing" "$checked" >&2
        exit 1
    fi
    printf 'check-spdx.sh: all %d source files carry "SPDX-License-Identifier: BSD-2-Clause"\n' \
        "$checked" >&2
}

main "$@"
