"""Areas: packaged EU/EEA/EU-EFTA and country areas, user areas, strict validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from residency.areas import INSIDE, OUTSIDE, UNKNOWN, iso_codes, load_areas
from residency.errors import ConfigError

EU27 = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]


def contains(
    area_name: str, country: list[str | None], subdivision: list[str | None] | None = None
) -> list[int]:
    return load_areas().get(area_name).contains(country, subdivision).tolist()


def test_eu_is_the_27_member_states() -> None:
    assert contains("eu", EU27) == [INSIDE] * 27
    assert contains("eu", ["GB", "CH", "NO", "IS", "US", "CA", "TR"]) == [OUTSIDE] * 7


@pytest.mark.parametrize(
    ("country", "subdivision"),
    [
        ("FR", "FR-RE"),
        ("RE", None),
        ("FR", "FR-GP"),
        ("GP", None),
        ("FR", "FR-MQ"),
        ("FR", "FR-GF"),
        ("GF", None),
        ("FR", "FR-YT"),
        ("MF", None),
        ("ES", "ES-CN"),
        ("PT", "PT-20"),
        ("PT", "PT-30"),
        ("ES", "ES-CE"),
        ("AX", None),
    ],
)
def test_outermost_regions_are_in_the_eu(country: str, subdivision: str | None) -> None:
    assert contains("eu", [country], [subdivision]) == [INSIDE]


@pytest.mark.parametrize(
    ("country", "subdivision"),
    [
        ("GL", None),
        ("FO", None),
        ("NC", None),
        ("AW", None),
        ("CW", None),
        ("SX", None),
        ("PF", None),
        ("BL", None),
        ("NL", "NL-BQ1"),
        ("NL", "NL-BQ2"),
        ("BQ", None),
        ("FR", "FR-CP"),
    ],
)
def test_territories_outside_the_eu_are_outside(country: str, subdivision: str | None) -> None:
    assert contains("eu", [country], [subdivision]) == [OUTSIDE]


def test_eea_and_eu_efta() -> None:
    assert contains("eea", ["NO", "IS", "LI", "DE", "CH", "SJ"]) == [1, 1, 1, 1, 0, 0]
    assert contains("eu-efta", ["NO", "CH", "DE", "GB"]) == [1, 1, 1, 0]
    # Svalbard and Jan Mayen are Norway but outside the EEA.
    assert contains("eea", ["NO", "NO", "SJ"], ["NO-21", "NO-22", None]) == [0, 0, 0]


def test_points_in_outermost_regions_and_territories_locate_correctly() -> None:
    from residency.geo import CountryIndex

    # Saint-Denis (Réunion), Las Palmas, Funchal, Nuuk, Kralendijk (Bonaire), Longyearbyen
    lat = [-20.88, 28.12, 32.65, 64.18, 12.15, 78.22]
    lon = [55.45, -15.43, -16.91, -51.72, -68.27, 15.65]
    country, subdivision = CountryIndex.load().locate(lat, lon)
    eu = load_areas().get("eu").contains(country, subdivision, lat, lon).tolist()
    assert eu == [INSIDE, INSIDE, INSIDE, OUTSIDE, OUTSIDE, OUTSIDE]
    assert load_areas().get("eea").contains(country, subdivision, lat, lon).tolist()[-1] == OUTSIDE


def test_one_area_per_country() -> None:
    catalog = load_areas()
    countries = [c for c in iso_codes() if len(c) == 2]
    assert len(countries) > 240
    for code in countries:
        assert code.lower() in catalog, code
    assert contains("de", ["DE", "AT"]) == [INSIDE, OUTSIDE]
    assert contains("fr", ["FR", "RE"], ["FR-RE", None]) == [INSIDE, INSIDE]


def test_unknown_place_is_unknown_not_outside() -> None:
    assert contains("eu", [None, "DE"]) == [UNKNOWN, INSIDE]


def test_membership_is_vectorised_over_large_arrays() -> None:
    rng = np.random.default_rng(0)
    codes = np.array(["DE", "US", "FR", None], dtype=object)
    country = codes[rng.integers(0, 4, 200_000)]
    result = load_areas().get("eu").contains(country)
    expected = np.select([country == "DE", country == "FR", country == "US"], [1, 1, 0], default=-1)
    assert (result == expected).all()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_user_area_reuses_packaged_areas_and_codes(tmp_path: Path) -> None:
    file = write(
        tmp_path / "mine.yaml",
        """
areas:
  - name: dach
    title: Germany, Austria and Switzerland
    include: [de, AT, CH]
  - name: eu-no-islands
    title: EU without the Canary Islands
    include: [eu]
    exclude: [ES-CN]
""",
    )
    catalog = load_areas([file])
    assert catalog.get("dach").contains(["DE", "AT", "CH", "FR"]).tolist() == [1, 1, 1, 0]
    assert catalog.get("eu-no-islands").contains(["ES", "ES"], [None, "ES-CN"]).tolist() == [1, 0]


def test_user_area_with_a_polygon_needs_coordinates(tmp_path: Path) -> None:
    square = {"type": "Polygon", "coordinates": [[[5, 45], [10, 45], [10, 50], [5, 50], [5, 45]]]}
    write(tmp_path / "square.geojson", json.dumps(square))
    file = write(
        tmp_path / "poly.yaml",
        """
areas:
  - name: alpine-box
    title: A box over the Alps
    polygons: [square.geojson]
""",
    )
    area = load_areas([file]).get("alpine-box")
    result = area.contains(["CH", "CH", "FR"], None, [46.9, None, 48.85], [7.4, None, 2.35])
    assert result.tolist() == [INSIDE, UNKNOWN, OUTSIDE]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "areas:\n  - name: x\n    title: X\n    include: [DE, ZZ]\n",
            r"bad\.yaml:4: unknown ISO 3166-1 code 'ZZ'",
        ),
        (
            "areas:\n  - name: x\n    title: X\n    include:\n      - FR-XXX\n",
            r"bad\.yaml:5: unknown ISO 3166-2 code 'FR-XXX'",
        ),
        (
            "areas:\n  - name: x\n    title: X\n    include: [atlantis]\n",
            r"bad\.yaml:4: unknown area 'atlantis'",
        ),
        (
            "areas:\n  - name: x\n    title: X\n    include: [de]\n    colour: blue\n",
            r"bad\.yaml:5: areas\[0\]\.colour: unknown key",
        ),
        ("areas:\n  - name: x\n    title: X\n    include: [de\n", r"bad\.yaml:\d+: invalid YAML"),
        (
            "areas:\n  - name: a\n    title: A\n    include: [b]\n  - name: b\n    title: B\n    include: [a]\n",
            r"areas include each other: a -> b -> a",
        ),
        (
            "areas:\n  - name: eu\n    title: Mine\n    include: [DE]\n",
            r"area 'eu' is already defined",
        ),
        (
            "areas:\n  - name: x\n    title: X\n    include: [de]\n    polygons: [{type: Point, coordinates: [1, 2]}]\n",
            r"bad\.yaml:5: bad polygon",
        ),
    ],
)
def test_bad_area_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_areas([write(tmp_path / "bad.yaml", text)])


def test_bare_no_is_norway_not_false(tmp_path: Path) -> None:
    file = write(
        tmp_path / "nordics.yaml",
        "areas:\n  - name: nordics\n    title: N\n    include: [NO, SE, DK, FI, IS]\n",
    )
    assert load_areas([file]).get("nordics").contains(["NO", "DE"]).tolist() == [INSIDE, OUTSIDE]


def test_unknown_area_name_suggests_close_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown area 'eux'.*did you mean: .*eu"):
        load_areas().get("eux")


def test_a_place_at_sea_is_outside_but_an_unplaced_one_is_unknown() -> None:
    eu = load_areas().get("eu")
    result = eu.contains([None, None, "DE"], None, [45.0, None, None], [-30.0, None, None])
    assert result.tolist() == [OUTSIDE, UNKNOWN, INSIDE]
