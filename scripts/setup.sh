#!/usr/bin/env bash
# Create .venv (once), install the project's Python dependencies into it, and the English-Arabic dictionary.
# Usage: scripts/setup.sh [requirements file]   (default: requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="${1:-requirements.txt}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$(basename "$requirements")"
if [ ! -f "$stamp" ] || [ -n "$(find requirements*.txt -newer "$stamp" 2>/dev/null)" ]; then
  echo "Installing $requirements into .venv (the first time takes a few minutes) ..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi
# The English-Arabic dictionary that helps answer English questions (Debian: dict-freedict-eng-ara).
if [ ! -f /usr/share/dictd/freedict-eng-ara.index ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's English-Arabic dictionary (dict-freedict-eng-ara) ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dict-freedict-eng-ara >/dev/null) \
      || echo "Could not install dict-freedict-eng-ara; English questions will use the embedding alone."
  else
    echo "Debian's dict-freedict-eng-ara is not installed and this is not root: install it (apt-get install" \
      "dict-freedict-eng-ara) for better answers to English questions."
  fi
fi
