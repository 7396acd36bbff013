#!/usr/bin/env bash
# Set up, then run the whole test suite and the linter. Under CI=true a skipped test is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/system-deps.sh
.venv/bin/ruff check server tests bench
.venv/bin/ruff format --check server tests bench
.venv/bin/mypy  # strict on server/core and the wire contract (pyproject.toml)
exec .venv/bin/python -m pytest -q "$@"
