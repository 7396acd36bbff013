#!/usr/bin/env bash
# Set up showcaller on a fresh Debian machine: Python 3.11 virtual environment with every dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    as_root apt-get update -q
    as_root apt-get install -y -q python3.11 python3.11-venv python3-pip
    PYTHON=python3.11
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
