#!/usr/bin/env bash
# shellcheck disable=SC2119 # pass defaults to the current case
# make install and make uninstall into a scratch DESTDIR: the binary and the man page land under
# PREFIX with the right modes, the installed binary runs, the page renders without warnings and
# documents every option of --help, and uninstall takes both away again.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST=$WORK/install-root

# mk TARGET PREFIX: make TARGET PREFIX=PREFIX DESTDIR=$DEST in the repository; its output is
# appended to the case's stdout and stderr. The flags and variables of a make that runs these
# tests (a jobserver, SANITIZE=...) are not passed on: install always means the default build.
mk() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE -u V \
        make --no-print-directory -C "$ROOT" "$1" PREFIX="$2" DESTDIR="$DEST" \
        >>"$CASE_DIR/stdout" 2>>"$CASE_DIR/stderr"
}

# assert_installed FILE SOURCE MODE: FILE exists, has MODE and the bytes of SOURCE.
assert_installed() {
    local mode
    [[ -f $1 ]] || {
        fail "$CASE" "no ${1#"$DEST"} under DESTDIR"
        return 1
    }
    mode=$(stat -c %a "$1")
    [[ $mode == "$3" ]] || {
        fail "$CASE" "${1#"$DEST"} has mode $mode, want $3"
        return 1
    }
    cmp -s "$1" "$2" || fail "$CASE" "${1#"$DEST"} differs from $2"
}

# assert_tree_files N: DESTDIR holds exactly N files.
assert_tree_files() {
    local n
    n=$(find "$DEST" -type f 2>/dev/null | wc -l)
    [[ $n == "$1" ]] && return 0
    fail "$CASE" "$n files under DESTDIR, want $1: $(find "$DEST" -type f | head -n 3 | tr '\n' ' ')"
}

t_install() {
    begin install_files
    rm -rf "$DEST"
    if ! mk install /usr/local; then
        fail "$CASE" "make install PREFIX=/usr/local DESTDIR=$DEST failed"
        return
    fi
    assert_installed "$DEST/usr/local/bin/volley" "$ROOT/volley" 755 &&
        assert_installed "$DEST/usr/local/share/man/man1/volley.1" "$ROOT/volley.1" 644 &&
        assert_tree_files 2 && pass
}

t_installed_runs() {
    begin install_binary_runs
    local bin=$DEST/usr/local/bin/volley
    [[ -x $bin ]] || {
        fail "$CASE" "no executable $bin (install_files failed?)"
        return
    }
    "$bin" -V >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr" || {
        fail "$CASE" "installed volley -V exited with status $?"
        return
    }
    if grep -Eq '^volley [0-9]+\.[0-9]+' "$CASE_DIR/stdout"; then
        pass
    else
        fail "$CASE" "installed volley -V printed no 'volley <version>' line"
    fi
}

t_man_renders() {
    begin install_man_renders
    local page=$DEST/usr/local/share/man/man1/volley.1 section
    command -v man >/dev/null || {
        fail "$CASE" "no man command (install man-db)"
        return
    }
    [[ -f $page ]] || {
        fail "$CASE" "no installed man page (install_files failed?)"
        return
    }
    # man-db prints groff's warnings (and its own) on stderr; a clean page prints none.
    MANWIDTH=80 MANPAGER=cat man --warnings -l "$page" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
    local rc=$?
    ((rc == 0)) || {
        fail "$CASE" "man -l exited with status $rc"
        return
    }
    [[ ! -s $CASE_DIR/stderr ]] || {
        fail "$CASE" "man --warnings: $(head -n 2 "$CASE_DIR/stderr" | tr '\n' ' ')"
        return
    }
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT "EXIT STATUS" FILES EXAMPLES \
        "SEE ALSO"; do
        grep -q "^$section\$" "$CASE_DIR/stdout" || {
            fail "$CASE" "rendered page has no $section section"
            return
        }
    done
    pass
}

# Every option --help lists is documented: the page is rendered (to plain text, so roff escapes
# such as \- do not hide a match) and searched for each option as a whole word.
t_man_covers_help() {
    begin install_man_covers_help
    local page=$ROOT/volley.1 opts missing="" o
    "$VOLLEY" --help >"$CASE_DIR/help" 2>"$CASE_DIR/stderr" || {
        fail "$CASE" "volley --help failed"
        return
    }
    opts=$(grep -oE -- '(^|[ |,])--?[A-Za-z][A-Za-z-]*' "$CASE_DIR/help" | sed 's/^[ |,]//' |
        sort -u)
    [[ $(echo "$opts" | wc -l) -ge 10 ]] || {
        fail "$CASE" "found only $(echo "$opts" | wc -w) options in --help: parsing is broken"
        return
    }
    MANWIDTH=200 MANPAGER=cat man -l "$page" 2>/dev/null | col -b >"$CASE_DIR/stdout"
    for o in $opts; do
        grep -Eq -- "(^|[^A-Za-z-])$o([^A-Za-z-]|\$)" "$CASE_DIR/stdout" || missing+=" $o"
    done
    if [[ -z $missing ]]; then
        pass
    else
        fail "$CASE" "volley.1 does not document:$missing"
    fi
}

t_uninstall() {
    begin uninstall_removes
    [[ -f $DEST/usr/local/bin/volley ]] || {
        fail "$CASE" "nothing installed to remove (install_files failed?)"
        return
    }
    if ! mk uninstall /usr/local; then
        fail "$CASE" "make uninstall PREFIX=/usr/local DESTDIR=$DEST failed"
        return
    fi
    [[ ! -e $DEST/usr/local/bin/volley && ! -e $DEST/usr/local/share/man/man1/volley.1 ]] || {
        fail "$CASE" "make uninstall left the binary or the man page"
        return
    }
    assert_tree_files 0 && pass
}

# PREFIX is honoured, not assumed.
t_prefix() {
    begin install_other_prefix
    rm -rf "$DEST"
    mk install /opt/volley || {
        fail "$CASE" "make install PREFIX=/opt/volley failed"
        return
    }
    assert_installed "$DEST/opt/volley/bin/volley" "$ROOT/volley" 755 &&
        assert_installed "$DEST/opt/volley/share/man/man1/volley.1" "$ROOT/volley.1" 644 &&
        assert_tree_files 2 || return
    mk uninstall /opt/volley || {
        fail "$CASE" "make uninstall PREFIX=/opt/volley failed"
        return
    }
    assert_tree_files 0 && pass
}

t_install
t_installed_runs
t_man_renders
t_man_covers_help
t_uninstall
t_prefix
rm -rf "$DEST"
