#!/usr/bin/env bash
# Set up, then play the Quảng Nam 2024 qualifier demo show through the engine and replay its log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m server demo "$@"
