#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver (for the browser tests of mlsc.render) when
# missing. Idempotent: does nothing when /usr/bin/chromium and /usr/bin/chromedriver are
# there. Only Debian packages are used; nothing is downloaded by selenium or the tests.
# Says what it is about to run before it runs it, and never asks for a password: as a user
# it uses `sudo -n` (passwordless sudo, as on CI machines) and exits 1 when that is refused.
set -euo pipefail

want=()
[ -x /usr/bin/chromium ] || want+=(chromium)
[ -x /usr/bin/chromedriver ] || want+=(chromium-driver)

if [ "${#want[@]}" -eq 0 ]; then
    echo "install-browser: chromium and chromedriver already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get not found; install ${want[*]} by hand" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-browser: not root and no sudo; install ${want[*]} by hand" >&2
        exit 1
    fi
    sudo=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: the browser tests need ${want[*]}; running:" >&2
echo "install-browser:   ${sudo[*]} apt-get update && ${sudo[*]} apt-get install -y ${want[*]}" >&2
if [ "${#sudo[@]}" -gt 0 ] && ! sudo -n true 2>/dev/null; then
    echo "install-browser: sudo needs a password here; not asking. Install ${want[*]} by hand" \
         "(sudo apt-get install ${want[*]}), or the browser tests skip." >&2
    exit 1
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${want[@]}" >/dev/null

for bin in /usr/bin/chromium /usr/bin/chromedriver; do
    if [ ! -x "$bin" ]; then
        echo "install-browser: $bin still missing after install" >&2
        exit 1
    fi
done
echo "install-browser: $(/usr/bin/chromedriver --version | head -n1)"
