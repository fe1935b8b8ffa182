#!/usr/bin/env bash
# Fetch a Debian source package with apt's own tools, without touching the machine's apt
# configuration, and check it against its .dsc. tools/mbedtls.sh, tools/cares.sh and
# tools/musl.sh use it.
#
#   tools/debsrc.sh fetch SUITE PACKAGE DIR   newest PACKAGE of SUITE into DIR/dl (replacing a
#                                             previous download only once the new one checks
#                                             out); prints the .dsc's path
#   tools/debsrc.sh verify DSC                every file DSC lists is beside it, size and SHA-256
#
# Each suite gets a private apt state in build/apt/SUITE/ (apt.conf, and a sources.list with one
# deb-src line on the Debian archive the machine's apt already uses): `apt-get -c` that file sees
# only that line and keeps its lists and cache there, so /etc/apt, the machine's lists and its
# package state stay as they are, and the machine's update hooks do not run. apt checks the
# suite's InRelease signature with Debian's archive keyring (debian-archive-keyring) and each
# downloaded file against the signed Sources index; this script then checks every file against
# the .dsc's Checksums-Sha256 itself, and dpkg-source -x checks them once more when the caller
# unpacks.
#
# Environment: DEBSRC_MIRROR (default: the Debian archive the machine's apt sources name).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

die() {
    echo "debsrc: $*" >&2
    exit 1
}

# The Debian archive this machine's apt already uses (a local mirror, say), else Debian's own.
mirror() {
    local uri
    # shellcheck disable=SC2016 # $(REPO_URI) is apt's format, not the shell's
    uri=$(apt-get indextargets --format '$(REPO_URI)' "Origin: Debian" "Label: Debian" 2>/dev/null |
        head -n 1)
    echo "${DEBSRC_MIRROR:-${uri:-http://deb.debian.org/debian/}}"
}

# write_apt_conf DIR SUITE
write_apt_conf() {
    local dir=$1 suite=$2
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
        "$(mirror) $suite main" >"$dir/sources.list"
    cat >"$dir/apt.conf" <<EOF
// Written by tools/debsrc.sh: apt-get -c this file sees only the deb-src line of $suite and keeps
// its lists and cache here; the machine's own sources, lists and cache stay as they are.
Dir::Etc::sourcelist "$dir/sources.list";
Dir::Etc::sourceparts "-";
Dir::State "$dir";
Dir::State::Lists "$dir/lists";
Dir::Cache "$dir/cache";
// The machine's update hooks are about its own lists, not these.
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
EOF
}

# The .dsc's Checksums-Sha256 lines: "sha256 size name".
dsc_sums() {
    awk '/^Checksums-Sha256:/ {on = 1; next} /^[^ ]/ {on = 0} on && NF == 3' "$1"
}

# verify DSC: every file the .dsc names is beside it with its size and SHA-256.
verify() {
    local dsc=$1 dir sum size name n=0
    dir=$(dirname "$dsc")
    [[ -f $dsc ]] || die "no $dsc"
    while read -r sum size name; do
        [[ -f $dir/$name ]] || die "$name (listed in $dsc) was not downloaded"
        [[ $(stat -c %s "$dir/$name") == "$size" ]] || die "$name: size differs from the .dsc"
        echo "$sum  $dir/$name" | sha256sum --quiet -c - || die "$name: SHA-256 differs from the .dsc"
        n=$((n + 1))
    done < <(dsc_sums "$dsc")
    ((n >= 2)) || die "$dsc lists no Checksums-Sha256 files"
}

# fetch SUITE PACKAGE DIR: print the .dsc of the download in DIR/dl.
fetch() {
    local suite=$1 pkg=$2 dest=$3 aptdir=$ROOT/build/apt/$1 dsc
    command -v apt-get >/dev/null || die "no apt-get: this needs Debian's apt"
    command -v dpkg-source >/dev/null || die "no dpkg-source: install dpkg-dev (make deps)"
    write_apt_conf "$aptdir" "$suite"
    mkdir -p "$dest"
    echo "debsrc: fetching $pkg from $suite (private apt state in build/apt/$suite)" >&2
    apt-get -c "$aptdir/apt.conf" -qq update >"$dest/apt.log" 2>&1 ||
        die "apt-get update failed: $(tail -n 3 "$dest/apt.log")"
    rm -rf "$dest/dl.new"
    mkdir -p "$dest/dl.new"
    # apt downloads as the unprivileged _apt user when it exists; let it write here.
    if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then
        chown _apt "$dest/dl.new"
    fi
    (cd "$dest/dl.new" && apt-get -c "$aptdir/apt.conf" -qq source --download-only "$pkg") \
        >>"$dest/apt.log" 2>&1 || die "apt-get source $pkg failed: $(tail -n 3 "$dest/apt.log")"
    dsc=$(echo "$dest/dl.new/${pkg}_"*.dsc)
    [[ -f $dsc ]] || die "apt-get source left no .dsc in $dest/dl.new"
    if [[ $(id -u) == 0 ]]; then
        chown -R root "$dest/dl.new"
    fi
    verify "$dsc"
    rm -rf "$dest/dl"
    mv "$dest/dl.new" "$dest/dl"
    echo "$dest/dl/${dsc##*/}"
}

case ${1:-} in
fetch)
    (($# == 4)) || die "usage: tools/debsrc.sh fetch SUITE PACKAGE DIR"
    fetch "$2" "$3" "$4"
    ;;
verify)
    (($# == 2)) || die "usage: tools/debsrc.sh verify DSC"
    verify "$2"
    ;;
*) die "usage: tools/debsrc.sh fetch SUITE PACKAGE DIR | verify DSC" ;;
esac
