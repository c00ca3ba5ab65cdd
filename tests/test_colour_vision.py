"""Status and rate colours stay distinguishable under simulated deuteranopia and protanopia.

The simulation is Machado et al. (2009) at full severity as implemented by ``colorspacious``; the
distance is ΔE in CAM02-UCS (about 1 is a just-noticeable difference). The minimum asked for:
20 between any two status colours (clearly different at a glance, on a map of small polygons) and
15 between any two classes of a 5-class map palette.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from analytics.choropleth import GOOD_TO_BAD, LOW_TO_HIGH
from analytics.scoring import STATUS_COLORS

VISION = {
    "normal": None,
    "deuteranopia": {"name": "sRGB1+CVD", "cvd_type": "deuteranomaly", "severity": 100},
    "protanopia": {"name": "sRGB1+CVD", "cvd_type": "protanomaly", "severity": 100},
}
MIN_STATUS = 20.0
MIN_CLASSES = 15.0


def seen(rgb, vision: str) -> np.ndarray:
    colour = np.asarray(rgb, dtype=float) / 255
    space = VISION[vision]
    return colour if space is None else np.clip(cspace_convert(colour, space, "sRGB1"), 0, 1)


def smallest_distance(colours, vision: str) -> float:
    simulated = [seen(c, vision) for c in colours]
    return min(float(deltaE(a, b, input_space="sRGB1")) for a, b in itertools.combinations(simulated, 2))


def test_simulation_is_real():
    # the old red/green pair collapses under deuteranopia: the check can fail
    assert smallest_distance([[46, 160, 67], [214, 48, 49]], "deuteranopia") < 10
    assert smallest_distance([[46, 160, 67], [214, 48, 49]], "normal") > 40


@pytest.mark.parametrize("vision", list(VISION))
def test_status_colours_distinguishable(vision):
    assert smallest_distance(list(STATUS_COLORS.values()), vision) >= MIN_STATUS


@pytest.mark.parametrize("vision", list(VISION))
@pytest.mark.parametrize("palette", [GOOD_TO_BAD, LOW_TO_HIGH], ids=["rates", "counts"])
def test_map_classes_distinguishable(vision, palette):
    assert smallest_distance(palette, vision) >= MIN_CLASSES
