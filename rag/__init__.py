"""Offline question answering with citations over Arabic news articles.

The public surface; the page, the CLI and the benchmarks use nothing else::

    from rag import Engine, Settings

    engine = Engine.open(Settings.from_env())
    answer = engine.ask("متى ستعقد المحادثات في جنيف؟")
    print(answer.text)
    for sentence in answer.quotes:
        print(sentence.text, sentence.citations)
"""

from rag.answer import Answer, AnswerSentence, Citation
from rag.arabic import Language, detect_language
from rag.articles import SkippedFile
from rag.chunking import Chunk
from rag.config import PROJECT_ROOT, Settings, admin_allowed
from rag.engine import ArticleInfo, Engine, EngineComponents, EngineInfo, LibraryChange, OpenTimings
from rag.errors import (
    ArticlesError,
    IndexCorruptError,
    ModelLoadError,
    QuestionError,
    QuestionFileError,
    RagError,
    SettingsError,
    StoreBusyError,
    StoreMismatchError,
    VectorBackendError,
)
from rag.evaluation import CaseResult, EvalReport, QuestionCase, judge, load_cases, normalized_contains, run_eval
from rag.generation import WrittenAnswer
from rag.highlight import Segment, passage_paragraphs
from rag.indexing import Progress
from rag.library import SUPPORTED_SUFFIXES, SkippedUpload, Upload
from rag.messages import one_line
from rag.retrieval import Hit, Mode
from rag.store_lock import BuildInProgressError, StoreError, StoreFullError, StoreWriteError
from rag.validation import Question, check_question

__all__ = [
    "PROJECT_ROOT",
    "Answer",
    "AnswerSentence",
    "ArticleInfo",
    "ArticlesError",
    "BuildInProgressError",
    "CaseResult",
    "Chunk",
    "Citation",
    "Engine",
    "EngineComponents",
    "EngineInfo",
    "EvalReport",
    "Hit",
    "IndexCorruptError",
    "Language",
    "LibraryChange",
    "Mode",
    "ModelLoadError",
    "OpenTimings",
    "Progress",
    "Question",
    "QuestionCase",
    "QuestionError",
    "QuestionFileError",
    "RagError",
    "Segment",
    "Settings",
    "SettingsError",
    "SkippedFile",
    "StoreError",
    "StoreFullError",
    "StoreMismatchError",
    "StoreWriteError",
    "VectorBackendError",
    "admin_allowed",
    "WrittenAnswer",
    "SkippedUpload",
    "SUPPORTED_SUFFIXES",
    "StoreBusyError",
    "Upload",
    "check_question",
    "detect_language",
    "judge",
    "load_cases",
    "normalized_contains",
    "one_line",
    "passage_paragraphs",
    "run_eval",
]
