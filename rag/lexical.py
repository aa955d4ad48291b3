"""Lexical ranking over Arabic-normalized text: character 2–5-gram TF-IDF.

Character n-grams match Arabic words through their clitics and prefixes (و، ال، ب...) without a
stemmer; measured on XQuAD ar→ar they beat BM25 over normalized words (recall@1 .887 vs .827).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from rag.language import normalize


@dataclass
class LexicalIndex:
    vectorizer: TfidfVectorizer
    matrix: object  # scipy.sparse CSC, one L2-normalized row per passage, read column by column

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        vectorizer = TfidfVectorizer(
            preprocessor=normalize,
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            dtype=np.float32,
        )
        matrix = vectorizer.fit_transform(texts)
        return cls(vectorizer, matrix.tocsc())

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
