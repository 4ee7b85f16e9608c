#!/usr/bin/env bash
# Make sure Debian's Chromium and the Noto CJK fonts are installed, for the browser tests and
# `kb bench ui`.
#
#   scripts/browser.sh
#
# The browser tests drive /usr/bin/chromium through Playwright (its `executable_path`);
# Playwright never downloads a browser of its own. When the `chromium` or `fonts-noto-cjk`
# package is missing, this installs both with apt-get (through sudo when not run as root),
# then prints `chromium --version`. The fonts let pages in Chinese render as a doctor sees them.
# Environment:
#   KB_TEST_CHROMIUM   the browser the tests launch (default /usr/bin/chromium)
set -euo pipefail

PACKAGES=(chromium fonts-noto-cjk)

log() { echo "browser.sh: $*" >&2; }

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
if ! command -v chromium >/dev/null 2>&1 && [[ ! " ${missing[*]} " =~ " chromium " ]]; then
    missing+=(chromium)
fi

if (( ${#missing[@]} )); then
    as_root=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { log "${missing[*]} missing; run this as root or install sudo"; exit 1; }
        as_root=(sudo)
    fi
    log "installing ${missing[*]} with apt-get"
    apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}")
    "${apt[@]}" || { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq && "${apt[@]}"; }
fi

chromium --version
