#!/usr/bin/env bash
# Installs what swift-bce needs on a fresh Debian 12 machine, and nothing that is already there.
# Needs: Swift 6.2+ on PATH (the toolchain is not an apt package); root or sudo for apt-get.
set -euo pipefail

need=()
# python3-mpmath and python3-jsonschema: the reference's mpmath check and the golden schema check run, not skip.
# chromium: scripts/check_html_report.py renders `run --html` in a real (headless) browser.
for pkg in python3-dev python3-numpy python3-mpmath python3-jsonschema chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

command -v swift >/dev/null 2>&1 || { echo "setup: swift is not on PATH (expected Swift 6.2 or newer, e.g. /opt/swift/usr/bin)" >&2; exit 1; }
# The embedded interpreter and every script use Debian's Python, never the first python3 on PATH.
/usr/bin/python3 -I -c 'import numpy' || { echo "setup: Debian's python3 cannot import numpy" >&2; exit 1; }
