"""Features of a complaint: character n-grams for Chinese, word n-grams for English, and the place.

Text becomes TF-IDF over hashed n-grams (no vocabulary to store, deterministic):
every run of CJK characters gives its characters and character bigrams, every
run of Latin letters its words and word bigrams. Digits are dropped (they are
phone numbers, house numbers and times, not routing evidence). The place and the
channel become one-hot columns: grid, district, source and the hour of the day
in four-hour blocks. Identical texts are vectorised once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import OneHotEncoder

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[a-z][a-z']*")
MAX_TEXT_CHARS = 2000  # longer texts are cut before analysis (the desk bounds its input too)
TEXT_FEATURES = 2**16
PLACE_COLUMNS = ("grid_id", "district_id", "source", "hour_block")
PLACE_WEIGHT = 0.5  # scale of the one-hot place columns against the unit-length text vector


def analyze(text: str) -> list[str]:
    """N-grams of one text: CJK characters and bigrams, English words and bigrams.

    Examples
    --------
    >>> analyze("路灯不亮 Street light out")
    ['路', '灯', '不', '亮', '路灯', '灯不', '不亮', 'street', 'light', 'out', 'street light', 'light out']
    """
    text = (text or "")[:MAX_TEXT_CHARS].lower()
    grams: list[str] = []
    for run in CJK_RUN.findall(text):
        grams.extend(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    words = WORD.findall(text)
    grams.extend(words)
    grams.extend(f"{a} {b}" for a, b in zip(words, words[1:]))
    return grams


def hour_blocks(reported_at: pd.Series) -> pd.Series:
    """The four-hour block of the day (``h00`` … ``h20``), ``h?`` when unknown."""
    hours = pd.to_datetime(reported_at, errors="coerce").dt.hour
    return hours.map(lambda h: "h?" if pd.isna(h) else f"h{int(h) // 4 * 4:02d}").astype(object)


@dataclass
class Featurizer:
    """Fitted text and place encoders (the hashing part needs no fitting)."""

    tfidf: TfidfTransformer
    place: OneHotEncoder

    @staticmethod
    def hasher() -> HashingVectorizer:
        return HashingVectorizer(
            analyzer=analyze, n_features=TEXT_FEATURES, alternate_sign=False, norm=None, dtype=np.float32
        )

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> tuple[Featurizer, sp.csr_matrix]:
        """Fit on training cases (``description`` and :data:`PLACE_COLUMNS`); return it and their matrix."""
        counts = _hashed(frame["description"])
        tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        place = OneHotEncoder(handle_unknown="ignore", dtype=np.float32).fit(_place_frame(frame))
        featurizer = cls(tfidf, place)
        return featurizer, featurizer._combine(counts, frame)

    def transform(self, frame: pd.DataFrame) -> sp.csr_matrix:
        """The feature matrix of cases (the same columns as :meth:`fit`)."""
        return self._combine(_hashed(frame["description"]), frame)

    def _combine(self, counts: sp.csr_matrix, frame: pd.DataFrame) -> sp.csr_matrix:
        text = self.tfidf.transform(counts)
        place = self.place.transform(_place_frame(frame)) * PLACE_WEIGHT
        return sp.hstack([text, place], format="csr", dtype=np.float32)


def _hashed(texts: pd.Series) -> sp.csr_matrix:
    """Hashed n-gram counts, computed once per distinct text."""
    codes, uniques = pd.factorize(texts.fillna("").astype(str), sort=False)
    matrix = Featurizer.hasher().transform(uniques.tolist()) if len(uniques) else sp.csr_matrix((0, TEXT_FEATURES))
    return matrix[codes]


def _place_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in PLACE_COLUMNS:
        values = frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
        out[column] = values.astype(object).where(values.notna(), "?").astype(str)
    return out
