"""The configuration file: valid files load, every mistake is one line with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency.config import load_config
from residency.errors import ConfigError

GOOD = """\
area: eea
requirements: [location]
store: out/store
sources:
  - name: estate
    type: sample
    seed: 3
    scale: 0.5
sites:
  - region: fra1
    country: de
    operator: Example GmbH
    operator_jurisdiction: DE
  - source: estate
    region: ams1
    zone: ams1-a
    lat: 52.37
    lon: 4.90
exemptions:
  - rule: placement.*
    subject: estate/server/dr-*
    reason: approved DR copy
    owner: dpo@example.eu
    expires: 2030-01-31
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "residency.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_configuration_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.area == "eea"
    assert config.requirements == ["location"]
    assert config.store_location() == str(tmp_path.resolve() / "out" / "store")
    assert config.sources[0].options == {"seed": 3, "scale": 0.5}
    assert config.sites[0].country == "DE"
    assert config.sites[1].country is None and config.sites[1].lat == 52.37
    assert str(config.exemptions[0].expires) == "2030-01-31"


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "sources: [{name: s, type: sample}]\n"))
    assert config.area == "eu"
    assert config.requirements == ["location", "control"]
    assert config.store_location().endswith("residency-store")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("area: eea", "area: eea\ncolour: red"),
            r"residency\.yaml:2: colour: unknown key",
        ),
        (
            GOOD.replace("requirements: [location]", "requirements: [location, speed]"),
            r":2: requirements\[1\]: Input should be 'location' or 'control'",
        ),
        (
            GOOD.replace("type: sample", "type: openstak"),
            r":6: sources\[0\]\.type: unknown source type 'openstak' \(installed: .*sample",
        ),
        (
            GOOD.replace("scale: 0.5", "scale: -1"),
            r":8: sources\[0\]\.scale: Input should be greater than 0 \(got -1\)",
        ),
        (
            GOOD.replace("seed: 3", "seed: 3\n    colour: red"),
            r":8: sources\[0\]\.colour: unknown key",
        ),
        (
            GOOD.replace("    country: de\n", ""),
            r":10: sites\[0\]: a site needs a country, or lat and lon",
        ),
        (
            GOOD.replace("lat: 52.37", "lat: 152.37"),
            r":17: sites\[1\]\.lat: Input should be less than or equal to 90",
        ),
        (
            GOOD.replace("expires: 2030-01-31", "expires: soon"),
            r":24: exemptions\[0\]\.expires: .*\(got 'soon'\)",
        ),
        (
            GOOD.replace("    owner: dpo@example.eu\n", ""),
            r":20: exemptions\[0\]\.owner: required key is missing",
        ),
        ("sources: []\n", r":1: sources: List should have at least 1 item"),
        (
            "sources: [{name: a, type: sample}, {name: a, type: sample}]\n",
            r"source names must be unique, repeated: a",
        ),
        ("- just\n- a list\n", r"configuration must be a YAML mapping"),
        ("sources: [\n", r"residency\.yaml:\d+: invalid YAML"),
    ],
)
def test_mistakes_are_one_line_naming_file_line_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: configuration file not found"):
        load_config(tmp_path / "nowhere.yaml")
