"""Place search: find a district, street, community or grid by name, code, pinyin or pinyin initials,
and case addresses where the import kept them — offline, over what the database holds.

Names and codes are matched in Python on a small in-memory index (:func:`place_index`), with plain
substring tests — never a regular expression or a SQL pattern built from the query. Addresses are
matched in SQL with the query bound as a parameter and the ``LIKE`` metacharacters escaped.
A query is normalised (NFKC, lower case, no spaces) and cut to :data:`MAX_QUERY` characters.
"""

from __future__ import annotations

import unicodedata

import duckdb
import pandas as pd
from pypinyin import lazy_pinyin

from analytics.filters import LEVELS, level_columns, scope_where
from analytics.privacy import mask_text

MAX_QUERY = 64
INDEX_COLUMNS = ["level", "area_id", "area_name", "parent_name", "pinyin", "initials"]
PARENT = {"district": None, "street": "district", "community": "street", "grid": "community"}


def normalise(text: str) -> str:
    """What a query and an index entry are compared as: NFKC, lower case, without spaces, bounded."""
    folded = unicodedata.normalize("NFKC", str(text or ""))[: MAX_QUERY * 4]
    return "".join(folded.lower().split())[:MAX_QUERY]


def pinyin_keys(name: str) -> tuple[str, str]:
    """Full pinyin and its initials of a name (``西湖街道`` → ``xihujiedao``, ``xhjd``); other
    characters pass through, so ``Ward 3`` → ``ward3``, ``w3``."""
    syllables = [part for chunk in lazy_pinyin(str(name or "")) for part in chunk.split()]
    full = normalise("".join(syllables))
    initials = normalise("".join(s[0] for s in syllables if s))
    return full, initials


def place_index(con: duckdb.DuckDBPyConnection, scope=None) -> pd.DataFrame:
    """Every area of every level with its parent's name, pinyin and initials (build once, cache).

    With a ``scope`` only areas with a granted grid (a user never finds a name outside their scope).
    """
    frames = []
    scope_sql, scope_params = scope_where(scope, "grids")
    for level in LEVELS:
        id_col, name_col = level_columns(level)
        parent = PARENT[level]
        parent_name = f"any_value({level_columns(parent)[1]})" if parent else "NULL"
        sql = (
            f"SELECT {id_col} AS area_id, any_value({name_col}) AS area_name, {parent_name} AS parent_name "
            f"FROM grids WHERE {id_col} IS NOT NULL AND {scope_sql} GROUP BY {id_col}"
        )
        frame = con.cursor().execute(sql, scope_params).df()
        frame.insert(0, "level", level)
        frames.append(frame)
    index = pd.concat(frames, ignore_index=True)
    index["area_id"] = index["area_id"].astype(str)
    index["area_name"] = index["area_name"].fillna(index["area_id"]).astype(str)
    keys = [pinyin_keys(n) for n in index["area_name"]]
    index["pinyin"] = [k[0] for k in keys]
    index["initials"] = [k[1] for k in keys]
    return index[INDEX_COLUMNS]


def _rank(query: str, area_id: str, name: str, pinyin: str, initials: str) -> int | None:
    """0 exact code, name, pinyin or initials; 1 code prefix; 2 name prefix; 3 name contains; 4 pinyin/initials prefix;
    5 pinyin/initials contains; 6 code contains; None when nothing matches."""
    code = normalise(area_id)
    if query in (code, name, pinyin, initials):
        return 0
    if code.startswith(query):
        return 1
    if name.startswith(query):
        return 2
    if query in name:
        return 3
    if pinyin.startswith(query) or initials.startswith(query):
        return 4
    if query in pinyin or query in initials:
        return 5
    if query in code:
        return 6
    return None


def search_places(index: pd.DataFrame, query: str, limit: int = 10) -> pd.DataFrame:
    """Areas matching ``query`` best first (then coarser levels first, then by code).

    Examples
    --------
    >>> idx = pd.DataFrame({"level": ["street"], "area_id": ["330106001"], "area_name": ["西湖街道"],
    ...                     "parent_name": ["示范区"], "pinyin": ["xihujiedao"], "initials": ["xhjd"]})
    >>> search_places(idx, "XHJD")["area_name"].tolist()
    ['西湖街道']
    """
    q = normalise(query)
    if not q or index.empty:
        return index.iloc[0:0].assign(match=pd.Series(dtype="int64"))
    names = [normalise(n) for n in index["area_name"]]
    ranks = [_rank(q, a, n, p, i) for a, n, p, i in zip(index["area_id"], names, index["pinyin"], index["initials"])]
    found = index.assign(match=ranks).dropna(subset=["match"])
    found = found.assign(match=found["match"].astype("int64"), _level=found["level"].map(LEVELS.index))
    found = found.sort_values(["match", "_level", "area_id"], kind="stable").drop(columns="_level")
    return found.head(max(int(limit), 0)).reset_index(drop=True)


def has_addresses(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the import kept an ``address`` column on ``cases``."""
    sql = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'cases' AND column_name = 'address'"
    return bool(con.cursor().execute(sql).fetchone()[0])


def like_pattern(query: str) -> str:
    """``%query%`` with ``\\``, ``%`` and ``_`` escaped (use with ``ESCAPE '\\'``)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


ADDRESS_SQL = r"""
SELECT c.address, c.grid_id, g.grid_name, count(*) AS cases
FROM cases c JOIN grids g ON g.grid_id = c.grid_id
WHERE c.address ILIKE $pattern ESCAPE '\' AND {scope}
GROUP BY c.address, c.grid_id, g.grid_name
ORDER BY cases DESC, c.address
LIMIT $limit
"""


def search_addresses(
    con: duckdb.DuckDBPyConnection, query: str, limit: int = 5, unmask: bool = False, scope=None
) -> pd.DataFrame:
    """Case addresses containing ``query`` (case-insensitive) with the grid they lie in; addresses are
    masked like every other personal detail unless ``unmask``. Empty when the import kept no addresses."""
    q = unicodedata.normalize("NFKC", str(query or "")).strip()[:MAX_QUERY]
    if not q or not has_addresses(con):
        return pd.DataFrame(columns=["address", "grid_id", "grid_name", "cases"])
    scope_sql, scope_params = scope_where(scope, "g")
    sql = ADDRESS_SQL.format(scope=scope_sql)
    frame = con.cursor().execute(sql, {"pattern": like_pattern(q), "limit": int(limit), **scope_params}).df()
    if not unmask:
        frame["address"] = [mask_text(a) for a in frame["address"]]
    return frame
