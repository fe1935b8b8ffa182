#!/bin/sh
# Install what volley needs to build, test and benchmark, from Debian's packages.
#
#   tools/deps.sh         what `make test`, `make demo` and `make bench` need (`make deps`)
#   tools/deps.sh cross   that, and the cross compilers and qemu-user of `make test-cross`
#                         (`make deps-cross`)
#
# Idempotent: packages already present are skipped; apt-get runs only when something is missing.
# mbedTLS is not among them: tools/mbedtls.sh (run by `make deps` next) builds it from Debian's
# source package, with apt-get source and dpkg-source (dpkg-dev, bzip2, xz-utils, patch); so do
# tools/cares.sh and tools/musl.sh for the static builds.
set -eu

BUILD="gcc make pkg-config libc-ares-dev libjsmn-dev libcmocka-dev"
BUILD="$BUILD dpkg-dev bzip2 xz-utils patch debian-archive-keyring"
# make static: musl-gcc and musl's static libc for this machine's architecture.
BUILD="$BUILD musl-tools"
WORLD="nginx-light dnsmasq-base openssl curl python3 man-db tmux valgrind iproute2 strace procps"
FUZZ="clang libclang-rt-14-dev"
EXTRA="${DEPS_EXTRA:-}"
# make static ARCH=aarch64 / armhf: the compilers (gcc, binutils, libgcc; musl is built from
# source by tools/musl.sh, so no cross libc6-dev), and qemu-user to run the results.
CROSS="gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user"
case ${1:-} in
"") ;;
cross) EXTRA="$EXTRA $CROSS" ;;
*)
    echo "usage: tools/deps.sh [cross]" >&2
    exit 2
    ;;
esac

missing=""
for p in $BUILD $WORLD $FUZZ $EXTRA; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing:$missing; run 'make deps' as root (apt-get)" >&2
    exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Keep package scripts from starting nginx on port 80: the tests run their own servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
