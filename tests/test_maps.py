"""Map builders: the outer rings sent to deck.gl and the layer records, worked out by hand."""

from __future__ import annotations

import json

import pandas as pd
from shapely.geometry import MultiPolygon, Polygon, mapping

from ui.maps import _records, area_map, outer_rings


def test_outer_rings_of_a_multipolygon_a_hole_and_a_non_polygon():
    square = Polygon([(0, 0), (2, 0), (2, 2), (0, 2)], holes=[[(0.5, 0.5), (1, 0.5), (1, 1)]])
    far = Polygon([(10.0000049, 0), (11, 0), (11, 1.123456789)])
    texts = pd.Series(
        [
            json.dumps(mapping(MultiPolygon([square, far]))),
            json.dumps(mapping(square)),
            '{"type":"LineString","coordinates":[[0,0],[1,1]]}',
        ]  # fmt: skip
    )
    # outer rings only, closing point dropped, 5 decimals (10.0000049 → 10.0, 1.123456789 → 1.12346)
    square_ring = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]]
    far_ring = [[10.0, 0.0], [11.0, 0.0], [11.0, 1.12346]]
    assert outer_rings(texts) == [[square_ring, far_ring], [square_ring], []]


def test_area_map_sends_only_the_kept_columns_under_short_keys():
    geoms = pd.DataFrame(
        {
            "area_id": ["a", "b"],
            "geometry": [json.dumps(mapping(Polygon([(x, 0), (x + 1, 0), (x + 1, 1)]))) for x in (0, 1)],
            "centroid_lon": [0.5, 1.5],
            "centroid_lat": [0.5, 0.5],
        }
    )
    values = pd.DataFrame({"area_id": ["a", "b"], "fill": [[1, 2, 3], None], "label": ["甲", "乙"], "unused": [1, 2]})
    deck = area_map(geoms, values, "fill", "<b>{label}</b>", ["label"])
    layer = deck.layers[0]
    assert layer.data == [
        {"p": [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]], "f": [1, 2, 3], "c0": "甲"},
        {"p": [[1.0, 0.0], [2.0, 0.0], [2.0, 1.0]], "f": [235, 238, 242, 200], "c0": "乙"},  # no colour: grey
    ]
    assert '"c0":"甲"' in deck.to_json()  # UTF-8, not \\u7532


def test_records_equal_to_dict_records_with_python_types():
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", None], "z": [1.5, float("nan")], "p": [[[0, 1]], [[2, 3]]]})
    ours, pandas = _records(frame), frame.to_dict(orient="records")
    assert ours[0] == pandas[0] == {"x": 1, "y": "a", "z": 1.5, "p": [[0, 1]]}
    assert type(ours[0]["x"]) is int and json.dumps(ours, allow_nan=True) == json.dumps(pandas, allow_nan=True)


def test_status_map_rows_by_hand():
    """One row per outer ring with the status colour, label, score and grade text the tooltip shows, and nothing
    else of the scored frame (its other metric columns are not sent)."""
    from ui.maps import status_map

    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    geoms = pd.DataFrame(
        {
            "area_id": ["g1", "g2"],
            "area_name": ["One", "Two"],
            "geometry": [json.dumps(mapping(MultiPolygon([square, Polygon([(5, 5), (6, 5), (6, 6)])]))),
                         json.dumps(mapping(square))],
            "centroid_lon": [0.5, 0.5],
            "centroid_lat": [0.5, 0.5],
        }
    )  # fmt: skip
    scored = pd.DataFrame(
        {
            "area_id": ["g1", "g2"],
            "area_name": ["ignored", "ignored"],
            "status": ["red", None],
            "score": [38.25, float("nan")],
            "grade": ["E", None],
            "due_to_close": [12, 3],
            "open_overdue": [7, 0],
            "reported": [20, 4],
            "closure_rate": [0.5, 1.0],
        }
    )
    deck = status_map(geoms, scored, {"red": "R", "grey": "G"}, "{area_name} {status_label}", height=400)
    rows = json.loads(deck.to_json())["layers"][0]["data"]
    # short keys: p polygon, f fill, then c0.. in the kept order (area_id, area_name, label, score, grade, ...)
    got = [(r["c0"], r["c1"], r["f"], r["c2"], r["c3"], r["c4"], r["c5"], r["c6"], r["c7"]) for r in rows]
    assert got == [
        ("g1", "One", [190, 30, 45, 200], "R", "38.2", "E", 12, 7, 20),  # two rings of the MultiPolygon
        ("g1", "One", [190, 30, 45, 200], "R", "38.2", "E", 12, 7, 20),
        ("g2", "Two", [200, 204, 210, 200], "G", "—", "—", 3, 0, 4),  # no status: grey, no score, no grade
    ]
    assert all(set(r) == {"p", "f", *(f"c{i}" for i in range(8))} for r in rows)
