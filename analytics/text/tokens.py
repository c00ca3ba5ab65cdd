"""Tokenisation: jieba for Chinese with a user dictionary, a plain word tokenizer for English.

The user dictionary holds the category directory (名称) and the area names
(districts, streets, communities, grids), so that "占道经营" or "椒桥社区"
stays one token. Each clause (text split at punctuation and spaces) is masked
(:func:`analytics.privacy.mask_text`) before it is cut, so no token can hold
personal data; the masking patterns never span punctuation, except numbers
written with spaces, whose digit-only pieces are never terms. Clauses are cut
once and cached: reports repeat their openers and requests, and the demo's
pooled texts repeat whole clauses.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from analytics.privacy import mask_text
from analytics.text.stopwords import CHINESE, ENGLISH

CLAUSE_SPLIT = re.compile(r"[，。；：！？、,.;:!?()（）\[\]【】\"“”'‘’\s]+")
# Python's ``\s`` (str patterns): every character whose ``str.isspace()`` is true (tests check all code points)
SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
SPACES += "\u2028\u2029\u202f\u205f\u3000"
# CLAUSE_SPLIT for RE2 (DuckDB's regexp functions), whose ``\s`` is ASCII only: the spaces listed instead
CLAUSE_SPLIT_RE2 = "[，。；：！？、,.;:!?()（）\\[\\]【】\"“”'‘’" + SPACES + "]+"
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[a-z][a-z'-]*[a-z]")
KEEP_CJK = re.compile(r"^[\u4e00-\u9fff]{2,}$")
MAX_WORD_CHARS = 12
MAX_CACHE = 500_000


class Tokenizer:
    """Cut texts into terms; one instance per dictionary (creating one loads jieba's dictionary).

    Parameters
    ----------
    words : iterable of str
        User-dictionary entries (category names, area names). Blank or very long
        entries are skipped.

    Examples
    --------
    >>> tk = Tokenizer(["椒桥社区", "占道经营"])  # doctest: +SKIP
    >>> tk.terms("椒桥社区门口占道经营严重")  # doctest: +SKIP
    ['椒桥社区', '门口', '占道经营', '严重']
    """

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._jieba_ready = None  # jieba.Tokenizer, loaded at the first Chinese clause (English needs none)
        self.words = sorted({w.strip() for w in words if w and 2 <= len(w.strip()) <= MAX_WORD_CHARS})
        self._user = frozenset(w.lower() for w in self.words)
        self._cache: dict[str, tuple[str, ...]] = {}
        self._masked_cache: dict[str, tuple[str, ...]] = {}
        self._text_cache: dict[str, tuple[str, ...]] = {}

    @property
    def _jieba(self):
        """jieba with the user dictionary, loaded once on first use (loading takes a second or more; even
        importing jieba costs ~0.25 CPU s, so a process that cuts no Chinese never imports it)."""
        if self._jieba_ready is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            ready = jieba.Tokenizer()
            ready.initialize()
            for word in self.words:
                if CJK.search(word):
                    ready.add_word(word)
            self._jieba_ready = ready
        return self._jieba_ready

    def _clause(self, clause: str) -> tuple[str, ...]:
        """Terms of one raw clause: masked, then cut once per distinct masked clause (both cached)."""
        hit = self._cache.get(clause)
        if hit is not None:
            return hit
        masked = mask_text(clause)
        out = self._masked_cache.get(masked)
        if out is None:
            out = self._cut(masked)
            if len(self._masked_cache) < MAX_CACHE:
                self._masked_cache[masked] = out
        if masked == clause and len(self._cache) < MAX_CACHE:  # raw clauses with personal data are not kept
            self._cache[clause] = out
        return out

    def _cut(self, clause: str) -> tuple[str, ...]:
        if CJK.search(clause):
            pieces = self._jieba.lcut(clause, HMM=False)
            return tuple(t for t in (p.strip().lower() for p in pieces) if t in self._user or _keep(t))
        return tuple(t for t in ENGLISH_WORD.findall(clause.lower()) if t not in ENGLISH)

    def clause_terms(self, clause: str) -> tuple[str, ...]:
        """Terms of one clause (a piece of text between :data:`CLAUSE_SPLIT` separators), masked first;
        :meth:`terms` of a text is the concatenation of its non-empty clauses' terms."""
        return self._clause(clause)

    def terms(self, text: str | None) -> list[str]:
        """Terms of one text in order; each clause is masked before it is cut; stop words dropped."""
        if not text:
            return []
        hit = self._text_cache.get(text)
        if hit is not None:
            return list(hit)
        out: list[str] = []
        clean = True
        for clause in CLAUSE_SPLIT.split(text):
            if clause:
                out.extend(self._clause(clause))
                clean = clean and clause in self._cache  # no personal data in any clause
        if clean and len(self._text_cache) < MAX_CACHE:
            self._text_cache[text] = tuple(out)
        return out


def _keep(token: str) -> bool:
    if token in CHINESE or token in ENGLISH or "某" in token:  # 张某: a masked name is no term
        return False
    if KEEP_CJK.match(token):
        return len(token) <= MAX_WORD_CHARS
    return bool(ENGLISH_WORD.fullmatch(token)) and len(token) >= 3


_SHARED: dict[tuple[str, ...], Tokenizer] = {}
_SHARED_LOCK = threading.Lock()


def shared_tokenizer(words: Iterable[str]) -> Tokenizer:
    """One :class:`Tokenizer` per dictionary in this process, so that a watching sync loads jieba and
    cuts a repeated clause once, not on every run (the newest dictionary only is kept)."""
    key = tuple(sorted({w for w in words if w}))
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED.clear()
            _SHARED[key] = Tokenizer(key)
        return _SHARED[key]


def dictionary_words(con) -> list[str]:
    """User-dictionary entries from the database: category names and area names at every level."""
    rows = con.execute(
        """
        SELECT category_name FROM categories
        UNION SELECT grid_name FROM grids
        UNION SELECT community_name FROM grids
        UNION SELECT street_name FROM grids
        UNION SELECT district_name FROM grids
        """
    ).fetchall()
    return [r[0] for r in rows if r[0]]
