"""docs/import.md documents every mapping section and key, every preset and every option, and its example works."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

from analytics.ingest.cli_args import add_import_args
from analytics.ingest.mapping import DATASET_KEYS, SECTIONS, list_presets, parse_mapping

DOC = (Path(__file__).resolve().parents[1] / "docs" / "import.md").read_text(encoding="utf-8")


def test_the_complete_example_is_a_valid_mapping():
    example = DOC.split("### A complete example", 1)[1]
    block = re.search(r"```toml\n(.*?)```", example, re.S).group(1)
    mapping = parse_mapping(tomllib.loads(block), "my_city.toml")
    assert mapping.coords == "gcj02" and mapping.values["kind"].table["网格员巡查"] == "incident"
    assert set(tomllib.loads(block)) == SECTIONS  # the example uses every section


def test_every_section_key_preset_and_option_is_documented():
    for section in SECTIONS:
        assert f"[{section}" in DOC, section
    for key in DATASET_KEYS | {"placeholders", "coords", "closed_at_requires_status", "split", "part", "default"}:
        assert f"`{key}`" in DOC, key
    for preset in list_presets():
        assert f"`{preset}`" in DOC, preset
    parser = argparse.ArgumentParser()
    add_import_args(parser)
    for action in parser._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert f"`{flag}" in DOC, flag
