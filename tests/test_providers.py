"""The provider region catalogs under regions/providers and their loader."""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from residency import providers as providers_module
from residency.data import regions_path
from residency.errors import DataError
from residency.providers import (
    FRAME_COLUMNS,
    Provider,
    load_providers,
    match_auth_host,
    provider_regions_frame,
)

REQUIRED = {
    "aws",
    "azure",
    "gcp",
    "ovhcloud",
    "ionos",
    "open-telekom-cloud",
    "hetzner",
    "scaleway",
    "cloudferro",
    "infomaniak",
}

# Jurisdiction of each provider's ultimate controlling HQ (file level).
JURISDICTIONS = {
    "aws": "US",
    "azure": "US",
    "gcp": "US",
    "oracle": "US",
    "ovhcloud": "FR",
    "ionos": "DE",
    "open-telekom-cloud": "DE",
    "hetzner": "DE",
    "scaleway": "FR",
    "cloudferro": "PL",
    "infomaniak": "CH",
    "cleura": "SE",
    # Akenes SA (CH) -> A1 Group (AT) -> controlled by América Movil (MX)
    "exoscale": "MX",
}

US_HYPERSCALERS = ("aws", "azure", "gcp", "oracle")


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Provider]:
    return load_providers()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return provider_regions_frame()


def _region_country(catalogs: dict[str, Provider], pid: str, name: str) -> str:
    region = catalogs[pid].region(name)
    assert region is not None, f"{pid} has no region {name!r}"
    return region.country


# --------------------------------------------------------------------------- the data


def test_every_file_loads_under_its_own_name(catalogs: dict[str, Provider]) -> None:
    files = sorted(regions_path("providers").glob("*.yaml"))
    assert files, "no provider catalogs found"
    assert sorted(catalogs) == sorted(path.stem for path in files)
    for pid, provider in catalogs.items():
        assert provider.provider == pid


def test_required_providers_are_present(catalogs: dict[str, Provider]) -> None:
    assert sorted(REQUIRED - set(catalogs)) == []


def test_every_region_is_complete(catalogs: dict[str, Provider]) -> None:
    for pid, provider in catalogs.items():
        assert provider.name.strip(), pid
        assert provider.operator.strip(), pid
        assert provider.source.startswith("https://"), pid
        assert provider.regions, pid
        for region in provider.regions:
            where = f"{pid}/{region.id}"
            assert re.fullmatch(r"[A-Z]{2}", region.country), where
            assert region.city.strip(), where
            assert -90 <= region.lat <= 90, where
            assert -180 <= region.lon <= 180, where
            # a point at (0, 0) is almost surely a placeholder
            assert (region.lat, region.lon) != (0.0, 0.0), where
            assert provider.operator_of(region).strip(), where


def test_region_names_and_zones_are_unique_within_a_provider(
    catalogs: dict[str, Provider],
) -> None:
    for pid, provider in catalogs.items():
        names = [n.casefold() for r in provider.regions for n in r.names]
        zones = [z.casefold() for r in provider.regions for z in r.zones]
        assert len(names) == len(set(names)), pid
        assert len(zones) == len(set(zones)), pid


@pytest.mark.parametrize(("pid", "jurisdiction"), sorted(JURISDICTIONS.items()))
def test_provider_jurisdictions(catalogs: dict[str, Provider], pid: str, jurisdiction: str) -> None:
    if pid not in REQUIRED and pid not in catalogs:
        pytest.skip(f"optional provider {pid} has no catalog")
    assert catalogs[pid].jurisdiction == jurisdiction


@pytest.mark.parametrize("pid", US_HYPERSCALERS)
def test_hyperscaler_regions_are_us_controlled_even_in_europe(
    catalogs: dict[str, Provider], pid: str
) -> None:
    provider = catalogs[pid]
    eu_regions = [r for r in provider.regions if r.country in {"DE", "FR", "IE", "NL"}]
    assert eu_regions, f"{pid} lists no region in DE/FR/IE/NL"
    assert {provider.jurisdiction_of(r) for r in provider.regions} == {"US"}


@pytest.mark.parametrize(
    ("pid", "name", "country"),
    [
        ("ovhcloud", "BHS", "CA"),
        ("ovhcloud", "BHS5", "CA"),
        ("ovhcloud", "GRA", "FR"),
        ("ovhcloud", "GRA11", "FR"),
        ("ovhcloud", "SBG5", "FR"),
        ("ovhcloud", "DE1", "DE"),
        ("ovhcloud", "UK1", "GB"),
        ("ovhcloud", "WAW1", "PL"),
        ("ovhcloud", "EU-WEST-PAR", "FR"),
        ("ovhcloud", "SGP1", "SG"),
        ("ovhcloud", "SYD1", "AU"),
        ("ovhcloud", "US-EAST-VA-1", "US"),
        ("ionos", "de/fra", "DE"),
        ("ionos", "es/vit", "ES"),
        ("ionos", "gb/lhr", "GB"),
        ("ionos", "us/mci", "US"),
        ("open-telekom-cloud", "eu-de", "DE"),
        ("open-telekom-cloud", "eu-nl", "NL"),
        ("open-telekom-cloud", "eu-ch2", "CH"),
        ("hetzner", "fsn1", "DE"),
        ("hetzner", "hel1", "FI"),
        ("hetzner", "ash", "US"),
        ("hetzner", "sin", "SG"),
        ("scaleway", "fr-par", "FR"),
        ("scaleway", "nl-ams", "NL"),
        ("scaleway", "pl-waw", "PL"),
        ("cloudferro", "WAW3-1", "PL"),
        ("cloudferro", "FRA1-2", "DE"),
        ("infomaniak", "dc3-a", "CH"),
        ("infomaniak", "dc4-a", "CH"),
        ("aws", "eu-central-1", "DE"),
        ("aws", "eu-west-1", "IE"),
        ("aws", "eu-central-2", "CH"),
        ("aws", "us-east-1", "US"),
        ("azure", "westeurope", "NL"),
        ("azure", "northeurope", "IE"),
        ("azure", "germanywestcentral", "DE"),
        ("azure", "norwayeast", "NO"),
        ("azure", "switzerlandnorth", "CH"),
        ("azure", "uksouth", "GB"),
        ("gcp", "europe-west1", "BE"),
        ("gcp", "europe-west3", "DE"),
        ("gcp", "europe-west4", "NL"),
        ("gcp", "europe-west6", "CH"),
        ("gcp", "europe-north1", "FI"),
        ("gcp", "us-central1", "US"),
    ],
)
def test_known_region_countries(
    catalogs: dict[str, Provider], pid: str, name: str, country: str
) -> None:
    assert _region_country(catalogs, pid, name) == country


def test_specific_operators_and_overrides(catalogs: dict[str, Provider]) -> None:
    azure = catalogs["azure"]
    gwc = azure.region("germanywestcentral")
    assert gwc is not None
    assert (gwc.country, azure.jurisdiction_of(gwc)) == ("DE", "US")
    assert azure.operator_of(gwc) == "Microsoft Corporation"

    otc = catalogs["open-telekom-cloud"]
    eu_de = otc.region("eu-de")
    assert eu_de is not None
    assert otc.operator_of(eu_de) == "T-Systems International GmbH"
    assert otc.jurisdiction_of(eu_de) == "DE"
    assert eu_de.zones == ("eu-de-01", "eu-de-02", "eu-de-03")

    ovh = catalogs["ovhcloud"]
    gra = ovh.region("gra11")  # lookups ignore case
    assert gra is not None
    assert (gra.id, gra.city) == ("GRA", "Gravelines")
    us_east = ovh.region("US-EAST-VA")
    assert us_east is not None
    assert ovh.operator_of(us_east) == "OVH US LLC"
    assert ovh.jurisdiction_of(us_east) == "FR"
    assert ovh.region("nowhere") is None

    assert catalogs["hetzner"].operator == "Hetzner Online GmbH"
    assert catalogs["infomaniak"].jurisdiction == "CH"


def test_yaml_one_one_booleans_stay_strings(catalogs: dict[str, Provider]) -> None:
    # `NO` (Norway) must not turn into False, whatever the file's quoting.
    countries = {r.country for p in catalogs.values() for r in p.regions}
    assert "NO" in countries
    assert all(isinstance(c, str) for c in countries)


# --------------------------------------------------------------------------- AWS vs botocore


# botocore is not installed beside residency: it needs python-dateutil<3, which the newest
# kubernetes client does not allow, and the suite must run on what users install. Its region
# data is read from its wheel instead, which the README's test command downloads into the
# venv's reference/ folder (`pip download --no-deps -d .venv/reference botocore`).
REFERENCE = Path(sys.prefix) / "reference"


def _botocore_data(wheel: Path, name: str) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        plain, packed = f"botocore/data/{name}.json", f"botocore/data/{name}.json.gz"
        if plain in names:
            data: dict[str, Any] = json.loads(archive.read(plain))
        elif packed in names:
            data = json.loads(gzip.decompress(archive.read(packed)))
        else:
            pytest.fail(f"{wheel.name} has no botocore/data/{name}.json(.gz)")
    return data


def _botocore_regions() -> tuple[str, set[str], set[str]]:
    wheels = sorted(REFERENCE.glob("botocore-*.whl"))
    if not wheels:
        reason = (
            f"no botocore wheel in {REFERENCE} (pip download --no-deps -d {REFERENCE} botocore)"
        )
        if os.environ.get("RESIDENCY_REQUIRE_REFERENCE"):
            pytest.fail(f"RESIDENCY_REQUIRE_REFERENCE is set but there is {reason}")
        pytest.skip(reason)
    wheel = wheels[-1]
    version = wheel.name.split("-")[1]
    aws: set[str] = set()
    extra: set[str] = set()
    for partition in _botocore_data(wheel, "partitions")["partitions"]:
        names = {r for r in partition.get("regions", {}) if not r.endswith("-global")}
        if partition["id"] == "aws":
            aws |= names
        elif partition["id"] == "aws-eusc":
            extra |= names
    for partition in _botocore_data(wheel, "endpoints")["partitions"]:
        if partition["partition"] == "aws":
            aws |= set(partition["regions"])
        elif partition["partition"] == "aws-eusc":
            extra |= set(partition["regions"])
    return version, aws, extra


def test_aws_catalog_matches_botocore_both_ways(catalogs: dict[str, Provider]) -> None:
    version, aws, eusc = _botocore_regions()
    assert aws, f"botocore {version} lists no aws-partition region"
    ours = {name for r in catalogs["aws"].regions for name in r.names}
    missing = sorted(aws - ours)
    unknown = sorted(ours - aws - eusc)
    assert not missing, (
        f"botocore {version}: aws-partition regions missing from aws.yaml: {missing}"
    )
    assert not unknown, f"botocore {version}: regions in aws.yaml unknown to botocore: {unknown}"


def test_aws_sovereign_cloud_region_if_botocore_knows_it(
    catalogs: dict[str, Provider],
) -> None:
    _, _, eusc = _botocore_regions()
    if "eusc-de-east-1" not in eusc:
        pytest.skip("this botocore has no aws-eusc partition")
    aws = catalogs["aws"]
    region = aws.region("eusc-de-east-1")
    assert region is not None
    assert region.country == "DE"
    assert aws.jurisdiction_of(region) == "US"
    assert aws.operator_of(region) != aws.operator


# --------------------------------------------------------------------------- the frame


def test_frame_columns_and_types(frame: pd.DataFrame) -> None:
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert frame["lat"].dtype == "float64"
    assert frame["lon"].dtype == "float64"
    assert not frame.duplicated(["provider", "region", "zone"]).any()
    for column in ("provider", "region", "country", "city", "operator", "source", "evidence"):
        assert frame[column].notna().all(), column


def test_frame_has_a_row_per_name_and_zone(
    frame: pd.DataFrame, catalogs: dict[str, Provider]
) -> None:
    expected = sum(len(r.names) * (1 + len(r.zones)) for p in catalogs.values() for r in p.regions)
    assert len(frame) == expected
    ids = {(pid, r.id) for pid, p in catalogs.items() for r in p.regions}
    present = set(zip(frame["provider"], frame["region"], strict=True))
    assert ids <= present


def test_frame_rows_for_alias_and_zone(frame: pd.DataFrame) -> None:
    gra11 = frame[(frame.provider == "ovhcloud") & (frame.region == "GRA11") & frame.zone.isna()]
    assert len(gra11) == 1
    row = gra11.iloc[0]
    assert (row.country, row.city, row.operator_jurisdiction) == ("FR", "Gravelines", "FR")
    assert row.evidence == "provider catalog ovhcloud region GRA alias GRA11 (Gravelines, FR)"

    gra = frame[(frame.provider == "ovhcloud") & (frame.region == "GRA") & frame.zone.isna()]
    assert gra.iloc[0].evidence == "provider catalog ovhcloud region GRA (Gravelines, FR)"

    by_zone = frame[(frame.provider == "scaleway") & (frame.zone == "fr-par-2")]
    assert set(by_zone.region) == {"fr-par"}
    assert set(by_zone.country) == {"FR"}

    eusc = frame[(frame.provider == "aws") & (frame.region == "eusc-de-east-1")]
    assert set(eusc.operator_jurisdiction) == {"US"}
    assert set(eusc.operator) == {"AWS European Sovereign Cloud GmbH"}


def test_frame_merges_vectorised(frame: pd.DataFrame) -> None:
    assets = pd.DataFrame(
        {
            "provider": ["ovhcloud", "azure", "open-telekom-cloud", "hetzner", "aws"],
            "region": ["BHS5", "germanywestcentral", "eu-de", "fsn1", "eu-west-1"],
        }
    )
    located = assets.merge(
        frame[frame.zone.isna()], on=["provider", "region"], how="left", validate="m:1"
    )
    assert list(located.country) == ["CA", "DE", "DE", "DE", "IE"]
    assert list(located.operator_jurisdiction) == ["FR", "US", "DE", "DE", "US"]

    zones = pd.DataFrame(
        {"provider": ["open-telekom-cloud", "hetzner"], "zone": ["eu-nl-02", "hel1-dc2"]}
    )
    by_zone = frame.dropna(subset=["zone"]).drop_duplicates(["provider", "zone"])
    located = zones.merge(by_zone, on=["provider", "zone"], how="left", validate="m:1")
    assert list(located.country) == ["NL", "FI"]


def test_frame_is_a_copy(frame: pd.DataFrame) -> None:
    again = provider_regions_frame()
    again.loc[:, "country"] = "XX"
    assert (provider_regions_frame()["country"] != "XX").all()
    assert (frame["country"] != "XX").all()


# --------------------------------------------------------------------------- auth hosts


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("auth.cloud.ovh.net", "ovhcloud"),
        ("AUTH.Cloud.OVH.net", "ovhcloud"),
        ("https://auth.cloud.ovh.net/v3", "ovhcloud"),
        ("auth.cloud.ovh.us", "ovhcloud"),
        ("iam.eu-de.otc.t-systems.com", "open-telekom-cloud"),
        ("keystone.cloudferro.com:5000", "cloudferro"),
        ("https://kna1.citycloud.com:5000/v3/", "cleura"),
        ("keystone.pub2.infomaniak.cloud", "infomaniak"),
        ("cloud.ovh.net", None),  # exact host names only, no suffix matching
        ("evil-auth.cloud.ovh.net.example", None),
        ("keystone.example.org", None),
        ("", None),
    ],
)
def test_match_auth_host(host: str, expected: str | None) -> None:
    assert match_auth_host(host) == expected


def test_auth_hosts_are_unique_across_providers(catalogs: dict[str, Provider]) -> None:
    hosts = [h for p in catalogs.values() for h in p.auth_hosts]
    assert len(hosts) == len(set(hosts))


# --------------------------------------------------------------------------- malformed catalogs

GOOD = """\
provider: {pid}
name: Example Cloud
operator: Example SA
jurisdiction: FR
source: https://example.com/regions
auth_hosts: [keystone.example.com]
regions:
  - id: par1
    aliases: [PAR-1]
    zones: [par1-a, par1-b]
    country: FR
    city: Paris
    lat: 48.86
    lon: 2.35
"""


def _write(directory: Path, pid: str, text: str) -> Path:
    path = directory / f"{pid}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_custom_catalog_loads(tmp_path: Path) -> None:
    _write(tmp_path, "example", GOOD.format(pid="example"))
    loaded = load_providers(tmp_path)
    assert list(loaded) == ["example"]
    frame = provider_regions_frame(tmp_path)
    assert len(frame) == 2 * 3  # (par1, PAR-1) x (no zone, par1-a, par1-b)
    assert match_auth_host("keystone.example.com", tmp_path) == "example"
    assert match_auth_host("keystone.example.com") is None


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("    city: Paris\n", "    city: Paris\n    colour: blue\n", "regions[0].colour"),
        ("name: Example Cloud\n", "name: Example Cloud\nwebsite: x\n", "website"),
        ("country: FR", "country: fr", "regions[0].country"),
        ("country: FR", "country: FRA", "regions[0].country"),
        ("jurisdiction: FR", "jurisdiction: France", "jurisdiction"),
        ("lat: 48.86", "lat: 148.86", "regions[0].lat"),
        ("lon: 2.35", "lon: -200", "regions[0].lon"),
        ("lat: 48.86", "lat: north", "regions[0].lat"),
        ("    city: Paris\n", "", "regions[0].city"),
        ("aliases: [PAR-1]", "aliases: [par1]", "regions"),
        ("zones: [par1-a, par1-b]", "zones: [par1-a, PAR1-A]", "regions"),
        ("source: https://example.com/regions", "source: example.com", "source"),
        ("auth_hosts: [keystone.example.com]", "auth_hosts: [https://k.example.com]", "auth_hosts"),
        (
            "    country: FR\n",
            "    country: FR\n    subdivision: DE-BY\n",
            "regions[0].subdivision",
        ),
    ],
)
def test_malformed_catalog_names_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = GOOD.format(pid="example")
    assert old in text
    path = _write(tmp_path, "example", text.replace(old, new, 1))
    with pytest.raises(DataError) as caught:
        load_providers(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    assert f": {key}:" in message


def test_unknown_key_reports_its_line(tmp_path: Path) -> None:
    text = GOOD.format(pid="example").replace("    lon: 2.35\n", "    lon: 2.35\n    dc: 4\n")
    path = _write(tmp_path, "example", text)
    with pytest.raises(DataError, match=r"unknown key") as caught:
        load_providers(tmp_path)
    line = text.splitlines().index("    dc: 4") + 1
    assert str(caught.value).startswith(f"{path}:{line}: regions[0].dc: unknown key")


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken", "provider: broken\nregions: [\n  {id: a\n")
    with pytest.raises(DataError) as caught:
        load_providers(tmp_path)
    assert re.match(rf"{re.escape(str(path))}:\d+: invalid YAML", str(caught.value))


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, "listy", "- a\n- b\n")
    with pytest.raises(DataError, match=re.escape(str(path))):
        load_providers(tmp_path)


def test_provider_id_must_equal_file_stem(tmp_path: Path) -> None:
    path = _write(tmp_path, "example", GOOD.format(pid="other"))
    with pytest.raises(DataError, match=r"provider: 'other' must equal the file name") as caught:
        load_providers(tmp_path)
    assert str(caught.value).startswith(f"{path}:1:")


def test_provider_id_must_be_lowercase(tmp_path: Path) -> None:
    _write(tmp_path, "Example", GOOD.format(pid="Example"))
    with pytest.raises(DataError, match=r": provider: "):
        load_providers(tmp_path)


def test_missing_regions_is_rejected(tmp_path: Path) -> None:
    text = GOOD.format(pid="example")
    _write(tmp_path, "example", text[: text.index("regions:")])
    with pytest.raises(DataError, match=r"regions: required key is missing"):
        load_providers(tmp_path)


def test_auth_host_claimed_twice_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "one", GOOD.format(pid="one"))
    _write(tmp_path, "two", GOOD.format(pid="two"))
    with pytest.raises(DataError, match=r"keystone\.example\.com.*'one'"):
        load_providers(tmp_path)


def test_unquoted_norway_stays_a_country_code(tmp_path: Path) -> None:
    _write(tmp_path, "example", GOOD.format(pid="example").replace("country: FR", "country: NO"))
    region = load_providers(tmp_path)["example"].regions[0]
    assert region.country == "NO"


def test_missing_folder_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"not found"):
        load_providers(tmp_path / "absent")


def test_results_are_cached_and_safe_to_mutate(tmp_path: Path) -> None:
    _write(tmp_path, "example", GOOD.format(pid="example"))
    first = load_providers(tmp_path)
    first.clear()
    second = load_providers(tmp_path)
    assert list(second) == ["example"]
    # the cache holds the parsed models: an edited file is not re-read
    _write(tmp_path, "example", "not: [valid")
    assert load_providers(tmp_path)["example"] is second["example"]
    providers_module._load_directory.cache_clear()
    providers_module._frame.cache_clear()
    with pytest.raises(DataError):
        load_providers(tmp_path)
