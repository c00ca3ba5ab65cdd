"""Text similarity of case pairs: cosine of character n-gram TF-IDF vectors (scikit-learn).

Character n-grams need no tokeniser and forgive typos and word order, which
is how two residents describe the same broken street lamp.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from analytics.privacy import mask_text

NGRAMS = (2, 3)


def pair_similarity(texts: pd.Series, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Cosine similarity in [0, 1] of ``texts[left[i]]`` and ``texts[right[i]]`` (positions); NaN without text.

    The vectoriser is fitted on the texts that occur in a pair only, masked
    first so personal data never shapes the vocabulary.

    Examples
    --------
    >>> s = pd.Series(["路灯不亮", "路灯不亮了", "树木倒伏"])
    >>> pair_similarity(s, np.array([0, 0]), np.array([1, 2])).round(2).tolist()
    [0.8, 0.0]
    """
    out = np.full(left.size, np.nan)
    if left.size == 0:
        return out
    used = np.unique(np.concatenate([left, right]))
    raw = texts.iloc[used]
    present = raw.notna().to_numpy() & (raw.fillna("").str.strip() != "").to_numpy()
    if not present.any():
        return out
    docs = raw[present].map(mask_text).tolist()
    matrix = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, min_df=1).fit_transform(docs)
    position = np.full(int(used.max()) + 1, -1)
    position[used[present]] = np.arange(present.sum())
    a, b = position[left], position[right]
    both = (a >= 0) & (b >= 0)
    if both.any():
        products = matrix[a[both]].multiply(matrix[b[both]]).sum(axis=1)
        out[both] = np.clip(np.asarray(products).ravel(), 0.0, 1.0)
    return out
