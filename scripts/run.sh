#!/usr/bin/env bash
# Install everything and start the chat page; the index is built on first start if there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
.venv/bin/python -m rag index
exec .venv/bin/streamlit run app.py --server.headless true --browser.gatherUsageStats false \
  --server.address "${RAG_HOST:-127.0.0.1}" --server.port "${RAG_PORT:-8501}"
