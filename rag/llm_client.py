"""Talk to a local language model server through the OpenAI chat-completions protocol, streaming.

Any server that speaks ``/v1/chat/completions`` works (llama.cpp's server, Ollama, vLLM, LM Studio).
The official ``openai`` client does the protocol; this module adds a deadline for the whole answer
and turns every way a server can fail into one ``LanguageModelError`` with a reason the engine
can tell the user. The API key comes from ``rag.config.llm_api_key`` and is never logged.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rag.config import Settings, llm_api_key

if TYPE_CHECKING:  # imported where used: the openai client takes about a second to import
    import openai

FailureReason = Literal["unreachable", "timeout", "bad_reply"]
#: Sent as the key when none is set: local servers ignore it, and the client needs one.
NO_KEY = "no-key"
_ENDPOINT_SUFFIX = "/chat/completions"


class LanguageModelError(Exception):
    """The server could not be reached, was too slow, or sent something that is not an answer."""

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def base_url(url: str) -> str:
    """The client's base URL for ``url``, which may be a base URL or the full chat-completions endpoint."""
    url = url.strip().rstrip("/")
    return url[: -len(_ENDPOINT_SUFFIX)] if url.endswith(_ENDPOINT_SUFFIX) else url


@dataclass
class LanguageModel:
    """One configured server and model; ``stream`` yields the answer's text as it is written."""

    client: openai.OpenAI
    model: str
    timeout: float
    max_tokens: int

    @classmethod
    def from_settings(cls, settings: Settings, api_key: str | None = None) -> LanguageModel:
        import openai

        client = openai.OpenAI(
            base_url=base_url(settings.llm_url),
            api_key=api_key or llm_api_key() or NO_KEY,
            timeout=settings.llm_timeout,
            max_retries=0,
        )
        return cls(client, settings.llm_model, settings.llm_timeout, settings.llm_max_tokens)

    def model_name(self) -> str:
        """The configured model, or else the first one the server lists (asked once)."""
        import openai

        if not self.model:
            try:
                listed = self.client.models.list(timeout=self.timeout)
                self.model = next(iter(listed)).id
            except StopIteration:
                raise LanguageModelError("bad_reply", "the server lists no model") from None
            except openai.OpenAIError as error:
                raise _failure(error) from error
        return self.model

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """The reply's text pieces as they arrive; raises ``LanguageModelError`` when the server
        fails, stops answering, or the whole reply takes longer than ``timeout`` seconds."""
        import httpx
        import openai

        deadline = time.monotonic() + self.timeout
        try:
            stream = self.client.chat.completions.create(
                model=self.model_name(),
                messages=messages,
                stream=True,
                temperature=0.0,
                max_tokens=self.max_tokens,
            )
            finished = False
            with stream:
                for chunk in stream:
                    if time.monotonic() > deadline:
                        raise LanguageModelError("timeout", f"no complete answer within {self.timeout:g} s")
                    text, finished = _delta(chunk, finished)
                    if text:
                        yield text
            if not finished:  # the connection closed before the server said the answer was complete
                raise LanguageModelError("unreachable", "the answer stopped before its end")
        except openai.OpenAIError as error:
            raise _failure(error) from error
        except httpx.TransportError as error:  # the connection broke while the answer streamed
            raise LanguageModelError("unreachable", f"the connection broke: {error}") from error
        except (ValueError, AttributeError, TypeError) as error:  # a reply that is not the protocol
            raise LanguageModelError("bad_reply", str(error)) from error


def _delta(chunk: object, finished: bool) -> tuple[str, bool]:
    """A stream chunk's text, and whether the answer is complete (a finish reason was sent)."""
    choices = getattr(chunk, "choices", None) or []
    if not choices:
        return "", finished
    delta = choices[0].delta
    text = (delta.content or "") if delta is not None else ""
    return text, finished or choices[0].finish_reason is not None


def _failure(error: openai.OpenAIError) -> LanguageModelError:
    import openai

    if isinstance(error, openai.APITimeoutError):
        return LanguageModelError("timeout", str(error))
    if isinstance(error, openai.APIConnectionError):
        return LanguageModelError("unreachable", str(error))
    if isinstance(error, openai.APIStatusError):
        return LanguageModelError("bad_reply", f"HTTP {error.status_code}")
    return LanguageModelError("bad_reply", str(error))
