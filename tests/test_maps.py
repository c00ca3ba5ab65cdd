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
