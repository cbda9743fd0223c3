#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver (for the browser tests of mlsc.render) when
# missing. Idempotent: does nothing when /usr/bin/chromium and /usr/bin/chromedriver are
# there. Only Debian packages are used; nothing is downloaded by selenium or the tests.
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
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-browser: not root and no sudo; install ${want[*]} by hand" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: installing ${want[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${want[@]}" >/dev/null

for bin in /usr/bin/chromium /usr/bin/chromedriver; do
    if [ ! -x "$bin" ]; then
        echo "install-browser: $bin still missing after install" >&2
        exit 1
    fi
done
echo "install-browser: $(/usr/bin/chromedriver --version | head -n1)"
