"""Country polygons, ISO code list, point lookup and user polygons (residency.geo)."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from residency.data import regions_path
from residency.geo import CountryIndex, parse_geojson_polygon, points_in_polygons

# (lat, lon), expected ISO 3166-1 alpha-2, expected ISO 3166-2 subdivision
PLACES = {
    "Paris": ((48.8566, 2.3522), "FR", None),
    "Saint-Denis, Réunion": ((-20.88, 55.45), "FR", "FR-RE"),
    "Cayenne": ((4.9224, -52.3135), "FR", "FR-GF"),
    "Pointe-à-Pitre": ((16.2411, -61.5331), "FR", "FR-GP"),
    "Fort-de-France": ((14.6161, -61.0588), "FR", "FR-MQ"),
    "Mamoudzou": ((-12.7806, 45.2278), "FR", "FR-YT"),
    "Las Palmas": ((28.1235, -15.4363), "ES", "ES-CN"),
    "Santa Cruz de Tenerife": ((28.4636, -16.2518), "ES", "ES-CN"),
    "Ceuta": ((35.8894, -5.3213), "ES", "ES-CE"),
    "Melilla": ((35.2923, -2.9381), "ES", "ES-ML"),
    "Madrid": ((40.4168, -3.7038), "ES", None),
    "Ponta Delgada": ((37.7412, -25.6756), "PT", "PT-20"),
    "Funchal": ((32.6669, -16.9241), "PT", "PT-30"),
    "Lisbon": ((38.7223, -9.1393), "PT", None),
    "Kralendijk": ((12.1443, -68.2655), "NL", "NL-BQ1"),
    "Saba": ((17.6300, -63.2380), "NL", "NL-BQ2"),
    "Oranjestad, Sint Eustatius": ((17.4818, -62.9836), "NL", "NL-BQ3"),
    "Amsterdam": ((52.3676, 4.9041), "NL", None),
    "Nuuk": ((64.1814, -51.6941), "GL", None),
    "Tórshavn": ((62.0107, -6.7741), "FO", None),
    "Nouméa": ((-22.2758, 166.4580), "NC", None),
    "Oranjestad, Aruba": ((12.5240, -70.0270), "AW", None),
    "Willemstad": ((12.1091, -68.9316), "CW", None),
    "Philipsburg": ((18.0260, -63.0450), "SX", None),
    "Marigot": ((18.0708, -63.0851), "MF", None),
    "Gustavia": ((17.8962, -62.8498), "BL", None),
    "Papeete": ((-17.5516, -149.5585), "PF", None),
    "Mariehamn": ((60.0973, 19.9348), "AX", None),
    "Longyearbyen": ((78.2232, 15.6267), "NO", "NO-21"),
    "Oslo": ((59.9139, 10.7522), "NO", None),
    "Zurich": ((47.3769, 8.5417), "CH", None),
    "Geneva": ((46.2044, 6.1432), "CH", None),
    "Frankfurt": ((50.1109, 8.6821), "DE", None),
    "Dublin": ((53.3498, -6.2603), "IE", None),
    "London": ((51.5074, -0.1278), "GB", None),
    "Gibraltar": ((36.1408, -5.3536), "GI", None),
    "Pristina": ((42.6629, 21.1655), "XK", None),
    "Taipei": ((25.0330, 121.5654), "TW", None),
    "Christmas Island": ((-10.4475, 105.6904), "CX", None),
    "Montreal": ((45.5017, -73.5673), "CA", None),
    "Singapore": ((1.3521, 103.8198), "SG", None),
    "mid-Atlantic": ((35.0, -40.0), None, None),
    "North Sea": ((56.0, 3.0), None, None),
    "Bay of Biscay, 60 km off Brittany": ((47.5, -4.0), None, None),
}


@pytest.fixture(scope="module")
def index() -> CountryIndex:
    return CountryIndex.load()


@pytest.mark.parametrize("place", list(PLACES))
def test_locate_known_places(index: CountryIndex, place: str) -> None:
    (lat, lon), country, subdivision = PLACES[place]
    got_country, got_subdivision = index.locate([lat], [lon])
    assert (got_country[0], got_subdivision[0]) == (country, subdivision)


def test_locate_batch_matches_table(index: CountryIndex) -> None:
    lat = np.array([v[0][0] for v in PLACES.values()])
    lon = np.array([v[0][1] for v in PLACES.values()])
    country, subdivision = index.locate(lat, lon)
    assert country.dtype == object and subdivision.dtype == object
    assert list(country) == [v[1] for v in PLACES.values()]
    assert list(subdivision) == [v[2] for v in PLACES.values()]


def test_default_index_is_cached() -> None:
    assert CountryIndex.load() is CountryIndex.load()


def test_coast_snapping(index: CountryIndex) -> None:
    # The 1:10m coastline puts central Mamoudzou ~0.9 km out to sea and Ponta Delgada ~0.2 km.
    lat, lon = [-12.7806, 37.7412], [45.2278, -25.6756]
    strict, _ = index.locate(lat, lon, snap_km=0)
    assert list(strict) == [None, None]
    snapped, subs = index.locate(lat, lon)
    assert list(snapped) == ["FR", "PT"] and list(subs) == ["FR-YT", "PT-20"]
    # 30 km off the coast of Brittany is open sea even with a generous snap.
    far, _ = index.locate([48.3], [-5.2], snap_km=5)
    assert far[0] is None
    with pytest.raises(ValueError, match="snap_km"):
        index.locate([0.0], [0.0], snap_km=-1)


def test_locate_shapes(index: CountryIndex) -> None:
    country, subdivision = index.locate(48.8566, 2.3522)
    assert country.shape == (1,) and country[0] == "FR" and subdivision[0] is None
    grid_c, grid_s = index.locate(
        [[48.8566, 35.0], [-20.88, 59.9139]], [[2.3522, -40.0], [55.45, 10.7522]]
    )
    assert grid_c.shape == (2, 2)
    assert grid_c.tolist() == [["FR", None], ["FR", "NO"]]
    assert grid_s.tolist() == [[None, None], ["FR-RE", None]]
    empty_c, empty_s = index.locate(np.array([]), np.array([]))
    assert empty_c.shape == (0,) and empty_s.shape == (0,)


@pytest.mark.parametrize(
    ("lat", "lon", "count", "first"),
    [
        ([48.0, math.nan, 1.0], [2.0, 2.0, 2.0], 1, 1),
        ([91.0], [0.0], 1, 0),
        ([0.0, -90.5, 10.0, 95.0], [0.0, 0.0, 181.0, 0.0], 3, 1),
        ([0.0, 0.0], [0.0, math.inf], 1, 1),
    ],
)
def test_locate_rejects_bad_coordinates(
    index: CountryIndex, lat: list[float], lon: list[float], count: int, first: int
) -> None:
    with pytest.raises(ValueError, match=rf"^{count} invalid coordinate.*first at index {first}:"):
        index.locate(lat, lon)


def test_locate_rejects_mismatched_and_non_numeric(index: CountryIndex) -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        index.locate([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="must be numbers"):
        index.locate(["north"], [1.0])


def test_boundaries_are_inclusive_at_the_poles_and_antimeridian(index: CountryIndex) -> None:
    country, _ = index.locate([90.0, -90.0, 0.0, 0.0], [180.0, -180.0, 180.0, -180.0])
    assert country[1] == "AQ"  # the South Pole is in Antarctica
    assert country[0] is None and country[2] is None


europe_points = st.lists(
    st.tuples(
        st.floats(min_value=34.0, max_value=72.0, allow_nan=False),
        st.floats(min_value=-25.0, max_value=45.0, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(points=europe_points, snap=st.sampled_from([0.0, 2.0, 25.0]))
def test_locate_batch_equals_one_by_one(
    index: CountryIndex, points: list[tuple[float, float]], snap: float
) -> None:
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    batch_c, batch_s = index.locate(lat, lon, snap_km=snap)
    for i, (la, lo) in enumerate(points):
        one_c, one_s = index.locate(la, lo, snap_km=snap)
        assert (batch_c[i], batch_s[i]) == (one_c[0], one_s[0])


def test_strict_locate_agrees_with_plain_shapely(index: CountryIndex) -> None:
    rng = np.random.default_rng(3)
    lat = np.concatenate([rng.uniform(34, 72, 3000), rng.uniform(-90, 90, 1000)])
    lon = np.concatenate([rng.uniform(-25, 45, 3000), rng.uniform(-180, 180, 1000)])
    rows = index.locate_rows(lat, lon, snap_km=0)
    tree = shapely.STRtree(index.geometry)
    point_idx, geom_idx = tree.query(shapely.points(lon, lat), predicate="intersects")
    expected = np.full(len(lat), -1)
    # First listed row wins on shared borders, as in locate_rows.
    for p, g in sorted(zip(point_idx.tolist(), geom_idx.tolist(), strict=True), reverse=True):
        expected[p] = g
    assert (rows == expected).all()
    assert 0.3 < (rows >= 0).mean() < 0.8  # a real mix of land and sea


def test_small_custom_index() -> None:
    # Two 1° squares sharing an edge; the second has a 0.2° hole in its middle.
    left = shapely.box(0, 0, 1, 1)
    right = shapely.Polygon(
        [(1, 0), (2, 0), (2, 1), (1, 1)], [[(1.4, 0.4), (1.6, 0.4), (1.6, 0.6), (1.4, 0.6)]]
    )
    idx = CountryIndex(["AA", "BB"], [None, "BB-1"], ["A", "B"], [left, right])
    lat = [0.5, 0.5, 0.5, 0.5, 5.0]
    lon = [0.5, 1.0, 1.7, 1.5, 5.0]
    country, subdivision = idx.locate(lat, lon, snap_km=0)
    # On the shared edge the first row wins; the hole and far away are nobody's.
    assert country.tolist() == ["AA", "AA", "BB", None, None]
    assert subdivision.tolist() == [None, None, "BB-1", None, None]
    assert idx.locate(lat, lon)[0].tolist() == country.tolist()  # the hole is 11 km from its rim
    assert idx.locate([0.5], [1.5], snap_km=12)[0].tolist() == ["BB"]
    assert idx.locate([0.5], [1.5], snap_km=10)[0].tolist() == [None]
    with pytest.raises(ValueError, match="polygons"):
        CountryIndex(["AA"], [None], ["A"], [shapely.Point(0, 0)])


# -- the data files ------------------------------------------------------------------------


def _iso_rows() -> list[dict[str, str]]:
    with regions_path("iso3166.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_iso3166_csv() -> None:
    rows = _iso_rows()
    assert set(rows[0]) == {"code", "name", "kind"}
    countries = {r["code"]: r["name"] for r in rows if r["kind"] == "country"}
    subdivisions = {r["code"]: r["name"] for r in rows if r["kind"] == "subdivision"}
    assert {r["kind"] for r in rows} == {"country", "subdivision"}
    assert len(countries) == 250  # 249 assigned ISO 3166-1 codes plus XK
    assert countries["FR"] == "France" and countries["XK"] == "Kosovo"
    for not_a_country in ("EU", "EZ", "UN", "QO", "ZZ", "001", "150", "IC", "EA", "AC"):
        assert not_a_country not in countries
    assert all(len(c) == 2 and c.isupper() for c in countries)
    assert len(subdivisions) > 4000
    for code in ("FR-RE", "FR-974", "ES-CN", "PT-20", "PT-30", "NL-BQ1", "DE-BY", "IE-D"):
        assert code in subdivisions
    assert all(s.split("-", 1)[0] in countries for s in subdivisions)
    assert all(r["name"] for r in rows)


def test_countries_parquet_is_geoparquet() -> None:
    path = regions_path("countries.parquet")
    assert path.stat().st_size < 5_000_000
    metadata = pq.read_schema(path).metadata
    geo = json.loads(metadata[b"geo"])
    assert geo["version"].startswith("1.")
    assert geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB"
    assert set(column["geometry_types"]) <= {"Polygon", "MultiPolygon"}
    table = pq.read_table(path)
    assert table.column_names == ["iso_a2", "subdivision", "name", "geometry"]
    gpd = pytest.importorskip("geopandas")
    frame = gpd.read_parquet(path)
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert len(frame) == table.num_rows
    assert frame.geometry.is_valid.all()


def test_countries_parquet_codes() -> None:
    rows = _iso_rows()
    countries = {r["code"] for r in rows if r["kind"] == "country"}
    subdivisions = {r["code"] for r in rows if r["kind"] == "subdivision"}
    table = pq.read_table(regions_path("countries.parquet")).to_pylist()
    assert {r["iso_a2"] for r in table} <= countries
    subs = {r["subdivision"] for r in table if r["subdivision"] is not None}
    assert subs <= subdivisions
    assert subs == {
        "FR-GF", "FR-RE", "FR-GP", "FR-MQ", "FR-YT", "FR-CP", "ES-CN", "ES-CE", "ES-ML",
        "PT-20", "PT-30", "NL-BQ1", "NL-BQ2", "NL-BQ3", "NO-21", "NO-22",
    }  # fmt: skip
    for row in table:
        assert row["subdivision"] is None or row["subdivision"].startswith(row["iso_a2"] + "-")
    # One mainland row per split country, and no (country, subdivision) pair twice.
    keys = [(r["iso_a2"], r["subdivision"]) for r in table]
    assert len(keys) == len(set(keys))
    for code in ("FR", "ES", "PT", "NL", "NO"):
        assert (code, None) in keys
    # Tiny islands survive simplification.
    by_key = {(r["iso_a2"], r["subdivision"]): shapely.from_wkb(r["geometry"]) for r in table}
    for key in [("NL", "NL-BQ2"), ("FR", "FR-CP"), ("BV", None), ("TK", None), ("VA", None)]:
        assert by_key[key].area > 0


def test_geo_module_does_not_need_geopandas() -> None:
    code = (
        "import sys; import residency.geo as g; "
        "c, s = g.CountryIndex.load().locate([48.85], [2.35]); "
        "assert c[0] == 'FR', c; "
        "assert 'geopandas' not in sys.modules, 'geopandas was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- user polygons -------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_points_in_polygons_matches_shapely(seed: int) -> None:
    rng = np.random.default_rng(seed)
    polygon = shapely.MultiPolygon(
        [
            shapely.Polygon(
                [(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (4, 2), (4, 4), (2, 4)]]
            ),
            shapely.Polygon([(20, 20), (30, 25), (20, 30)]),
        ]
    )
    lon = rng.uniform(-5, 35, 300)
    lat = rng.uniform(-5, 35, 300)
    # Some points exactly on the boundary and in the hole.
    lon[:3], lat[:3] = [0.0, 3.0, 20.0], [5.0, 3.0, 25.0]
    got = points_in_polygons(polygon, lat, lon)
    expected = [polygon.contains(shapely.Point(x, y)) for x, y in zip(lon, lat, strict=True)]
    assert got.dtype == bool
    assert got.tolist() == expected


def test_points_in_polygons_validates() -> None:
    square = shapely.box(0, 0, 1, 1)
    with pytest.raises(ValueError, match="invalid coordinate"):
        points_in_polygons(square, [math.nan], [0.0])
    with pytest.raises(ValueError, match="Polygon or MultiPolygon"):
        points_in_polygons(shapely.Point(0, 0), [0.0], [0.0])


SQUARE = [[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]]


def test_parse_geojson_polygon_kinds() -> None:
    poly = parse_geojson_polygon({"type": "Polygon", "coordinates": SQUARE})
    assert poly.geom_type == "Polygon" and poly.area == 100
    multi = parse_geojson_polygon(
        {
            "type": "MultiPolygon",
            "coordinates": [SQUARE, [[[20, 20], [21, 20], [21, 21], [20, 21], [20, 20]]]],
        }
    )
    assert multi.geom_type == "MultiPolygon" and multi.area == 101
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": SQUARE},
    }
    assert parse_geojson_polygon(feature).equals(poly)
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature,
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[5, 5], [15, 5], [15, 15], [5, 5]]],
                },
            },
        ],
    }
    union = parse_geojson_polygon(collection)
    assert union.is_valid and union.area == pytest.approx(100 + 50 - 12.5)
    # A self-intersecting "bow tie" is repaired rather than rejected.
    bowtie = parse_geojson_polygon(
        {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    )
    assert bowtie.is_valid and bowtie.area == pytest.approx(2.0)
    # An unclosed ring is closed.
    open_ring = parse_geojson_polygon({"type": "Polygon", "coordinates": [SQUARE[0][:-1]]})
    assert open_ring.equals(poly)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"type": "Point", "coordinates": [0, 0]}, "expected a GeoJSON Polygon or MultiPolygon"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "got type 'LineString'"),
        ({"coordinates": SQUARE}, "got type None"),
        ({"type": "Polygon", "coordinates": []}, "list of linear rings"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, "at least 4 positions"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, "x"], [1, 1], [0, 0]]]}, "number pairs"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [0, 1], [0, 0]]]}, "out of range"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}, "no area"),
        ({"type": "MultiPolygon", "coordinates": []}, "non-empty list"),
        ({"type": "Feature", "geometry": None}, "Feature has no geometry"),
        ({"type": "FeatureCollection", "features": []}, "no features"),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}}
                ],
            },
            r"features\[0\]: expected",
        ),
        (["not", "a", "mapping"], "must be an object"),
    ],
)
def test_parse_geojson_polygon_rejects(obj: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_geojson_polygon(obj)  # type: ignore[arg-type]


def test_load_rejects_files_without_the_columns(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.parquet"
    pq.write_table(pa.table({"iso_a2": ["AA"], "geometry": [shapely.box(0, 0, 1, 1).wkb]}), path)
    with pytest.raises(ValueError, match="missing column"):
        CountryIndex.load(path)
