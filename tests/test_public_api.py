"""The page, the CLI and the quality benchmark use only the engine's public surface (``from rag import ...``)."""

import ast
from pathlib import Path

import pytest

import rag
from rag import PROJECT_ROOT, RagError

#: Callers that must not reach into the engine's modules.
SURFACE_USERS = [
    "app.py",
    "rag/cli.py",
    "benchmarks/quality.py",
    "benchmarks/corpus.py",
    "benchmarks/cold_start.py",
]


def rag_imports(path: Path) -> list[str]:
    """The module names of every ``import``/``from ... import`` of the ``rag`` package in ``path``."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rag":
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names if alias.name.split(".")[0] == "rag"]
    return names


@pytest.mark.parametrize("caller", SURFACE_USERS)
def test_callers_import_only_the_public_surface(caller: str):
    imports = rag_imports(PROJECT_ROOT / caller)
    assert imports, f"{caller} does not use the engine at all"
    assert set(imports) == {"rag"}, f"{caller} reaches past the public surface: {sorted(set(imports) - {'rag'})}"


def test_every_public_error_derives_from_rag_error():
    errors = [getattr(rag, name) for name in rag.__all__ if name.endswith("Error")]
    assert len(errors) >= 7
    assert all(issubclass(error, RagError) for error in errors)
    assert len({error.exit_code for error in errors if error is not RagError}) >= 4


def test_the_public_names_all_exist():
    assert all(hasattr(rag, name) for name in rag.__all__)
    assert {"Engine", "Settings", "Answer", "AnswerSentence", "Citation", "RagError"} <= set(rag.__all__)
