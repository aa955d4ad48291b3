"""Lexical ranking over Arabic-normalized text: character 2–5-gram TF-IDF.

Character n-grams match Arabic words through their clitics and prefixes (و، ال، ب...) without a
stemmer; measured on XQuAD ar→ar they beat BM25 over normalized words (recall@1 .887 vs .827).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from rag.arabic import normalize


@dataclass
class LexicalIndex:
    vectorizer: TfidfVectorizer
    matrix: object  # scipy.sparse CSC, one L2-normalized row per passage, read column by column

    #: The files ``save`` writes into a build folder.
    FILES = ("lexical_matrix.npz", "lexical_vocabulary.json")

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        vectorizer = _vectorizer()
        matrix = vectorizer.fit_transform(texts)
        return cls(vectorizer, matrix.tocsc())

    def save(self, folder: Path) -> None:
        matrix_file, vocabulary_file = self.FILES
        scipy.sparse.save_npz(folder / matrix_file, self.matrix, compressed=False)
        vocabulary = {term: int(column) for term, column in self.vectorizer.vocabulary_.items()}
        record = {"vocabulary": vocabulary, "idf": self.vectorizer.idf_.tolist()}
        (folder / vocabulary_file).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        matrix_file, vocabulary_file = cls.FILES
        record = json.loads((folder / vocabulary_file).read_text(encoding="utf-8"))
        vectorizer = _vectorizer()
        vectorizer.vocabulary_ = record["vocabulary"]
        vectorizer.idf_ = np.asarray(record["idf"], dtype=np.float32)
        return cls(vectorizer, scipy.sparse.load_npz(folder / matrix_file).tocsc())

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Cosine scores and positions of the ``k`` best passages (score > 0 only).

        Only the question's own n-gram columns are read: at 13.5k passages that took 0.84 ms
        against 23.5 ms for the full sparse product, same top 10 (benchmarks/lexical_scale.py)."""
        question = self.vectorizer.transform([query])
        k = min(k, self.matrix.shape[0])
        if k == 0 or question.nnz == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = np.asarray(self.matrix[:, question.indices] @ question.data).ravel()
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return scores[top], top


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        preprocessor=normalize,
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        dtype=np.float32,
    )
