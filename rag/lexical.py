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
    matrix: object  # scipy.sparse CSR, one L2-normalized row per passage

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
        return cls(vectorizer, matrix.tocsr())

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Cosine scores and positions of the ``k`` best passages (score > 0 only)."""
        scores = (self.matrix @ self.vectorizer.transform([query]).T).toarray().ravel()
        k = min(k, len(scores))
        if k == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return scores[top], top
