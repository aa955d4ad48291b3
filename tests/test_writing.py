import pytest

from rag.candidates import Candidate
from rag.vectorstore import VectorStore
from rag.writing import AnswerWriter


def _candidate(store: VectorStore, sentence: int, score: float) -> Candidate:
    span = store.sentences[sentence]
    return Candidate(0, sentence, span.start, span.end, score, 0.8)


@pytest.fixture()
def best_neighbour_and_far(seed_store: VectorStore) -> tuple[int, int, int]:
    """A sentence, the next one in its article, and a sentence of another article."""
    docs = [s.doc_id for s in seed_store.sentences]
    best = next(i for i in range(1, len(docs) - 1) if docs[i] == docs[i + 1] == docs[i - 1])
    far = next(i for i, doc in enumerate(docs) if doc != docs[best])
    return best, best + 1, far


@pytest.mark.parametrize(
    ("margin", "neighbour_margin", "quoted"),
    [
        (0.1, 0.0, ["best", "far"]),  # the second best is within the margin: it is quoted
        (0.01, 0.1, ["best", "neighbour"]),  # it is not, and the neighbour is within its margin
        (0.01, 0.05, ["best"]),  # neither is
    ],
)
def test_the_second_quote_is_the_second_best_else_the_best_ones_neighbour(
    seed_store: VectorStore,
    best_neighbour_and_far: tuple[int, int, int],
    margin: float,
    neighbour_margin: float,
    quoted: list[str],
):
    best, neighbour, far = best_neighbour_and_far
    names = {best: "best", neighbour: "neighbour", far: "far"}
    candidates = [
        _candidate(seed_store, best, 1.0),
        _candidate(seed_store, far, 0.95),
        _candidate(seed_store, neighbour, 0.93),
    ]
    writer = AnswerWriter(seed_store, "ar")
    chosen = writer.choose(candidates, margin, neighbour_margin)
    assert [names[c.sentence] for c in chosen] == quoted
