"""Text similarity of case pairs: cosine of character n-gram TF-IDF vectors (scikit-learn).

Character n-grams need no tokeniser and forgive typos and word order, which
is how two residents describe the same broken street lamp.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

NGRAMS = (2, 3)


def pair_similarity(texts: pd.Series, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Cosine similarity in [0, 1] of ``texts[left[i]]`` and ``texts[right[i]]`` (positions); NaN without text.

    Only the distinct texts that occur in a pair are vectorised (hashed character
    2-3-grams, then TF-IDF weights over those texts). Texts are not masked here:
    nothing is stored or shown but the similarity itself.

    Examples
    --------
    >>> s = pd.Series(["路灯不亮", "路灯不亮了", "树木倒伏"])
    >>> pair_similarity(s, np.array([0, 0]), np.array([1, 2])).round(2).tolist()
    [0.77, 0.0]
    """
    out = np.full(left.size, np.nan)
    if left.size == 0:
        return out
    used = np.unique(np.concatenate([left, right]))
    raw = texts.iloc[used]
    present = raw.notna().to_numpy() & (raw.fillna("").str.strip() != "").to_numpy()
    if not present.any():
        return out
    codes, uniques = pd.factorize(raw[present].astype(str))
    hashed = HashingVectorizer(analyzer="char", ngram_range=NGRAMS, alternate_sign=False, norm=None).transform(uniques)
    matrix = TfidfTransformer().fit_transform(hashed)
    position = np.full(int(used.max()) + 1, -1)
    position[used[present]] = codes
    a, b = position[left], position[right]
    both = (a >= 0) & (b >= 0)
    if both.any():
        products = matrix[a[both]].multiply(matrix[b[both]]).sum(axis=1)
        out[both] = np.clip(np.asarray(products).ravel(), 0.0, 1.0)
    return out
