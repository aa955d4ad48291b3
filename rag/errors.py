"""Every error the engine raises derives from ``RagError``; each says which exit code the CLI gives it."""

from __future__ import annotations

from rag.arabic import Language


class RagError(Exception):
    """Base of the engine's errors; ``str(error)`` is a message for the user."""

    exit_code = 1


class QuestionError(RagError, ValueError):
    """A question the engine will not answer; ``message`` is in the user's language."""

    exit_code = 2

    def __init__(self, code: str, message_text: str, language: Language | None):
        super().__init__(message_text)
        self.code = code
        self.message = message_text
        self.language = language


class QuestionFileError(RagError):
    """The question file is missing or malformed."""

    exit_code = 2


class SettingsError(RagError, ValueError):
    """A setting (``RAG_<NAME>`` or a command-line option) has an invalid value."""

    exit_code = 2


class ArticlesError(RagError):
    """The articles folder is missing or holds no readable article."""

    exit_code = 3


class ModelLoadError(RagError):
    """The embedding model could not be built or loaded."""

    exit_code = 4


class IndexCorruptError(RagError):
    """The saved index is missing files, fails its checksums or cannot be read."""

    exit_code = 5


class VectorBackendError(RagError):
    """The vector database (Milvus) cannot be reached or refused an operation."""

    exit_code = 7


class StoreMismatchError(RagError):
    """The index folder holds the index of another articles folder."""

    exit_code = 2


class LexiconError(RagError):
    """The dictionary files exist but cannot be read."""


class StoreBusyError(RagError):
    """Another process held the index folder's write lock for longer than the wait allowed."""

    exit_code = 5
