#!/usr/bin/env bash
# System packages the test suite needs: Debian's Chromium (pages are tested in it), fonts, and
# OBS Studio with Xvfb (the OBS control is tested against a real, headless OBS), and redis-server
# (several server processes share one in the cluster tests), nginx and openssl (the documented
# reverse proxy runs in front of them over TLS in tests/deploy/).
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
command -v obs >/dev/null 2>&1 || missing+=(obs-studio)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
