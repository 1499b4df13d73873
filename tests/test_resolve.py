"""Flow destinations resolved to a place and an operator, with the basis of each answer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from residency.errors import DataError
from residency.resolve import is_internal, load_endpoints, resolve_flows


def flows(*rows: tuple[str | None, str | None, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["host", "ip", "endpoint"], dtype=object)


def test_every_catalog_entry_cites_a_source_and_loads() -> None:
    catalog = load_endpoints()
    assert len(catalog.hosts) >= 20 and len(catalog.ips) >= 8 and catalog.patterns
    assert catalog.hosts.index.is_unique


def test_most_specific_catalog_host_wins_and_location_and_control_are_apart() -> None:
    out = resolve_flows(
        flows(
            ("api.datadoghq.com", None, "https://api.datadoghq.com"),
            ("http-intake.logs.us3.datadoghq.com", None, None),
            ("api.datadoghq.eu", None, None),
            ("otlp.eu01.nr-data.net", None, None),
        )
    )
    assert out["dest_country"].tolist() == ["US", "US", "DE", "DE"]
    # Frankfurt by location, a US company by control: both answers are kept.
    assert out["operator_jurisdiction"].tolist() == ["US", "US", "US", "US"]
    assert set(out["resolution_basis"]) == {"endpoint_catalog"}


def test_a_cdn_registry_has_an_operator_but_no_location() -> None:
    out = resolve_flows(flows(("registry-1.docker.io", None, None))).iloc[0]
    assert out["dest_country"] is None
    assert out["dest_operator"] == "Docker, Inc." and out["operator_jurisdiction"] == "US"


def test_provider_regional_endpoints_go_through_the_provider_catalog() -> None:
    out = resolve_flows(
        flows(
            ("s3.eu-central-1.amazonaws.com", None, None),
            ("logs.us-east-1.amazonaws.com", None, None),
            ("s3.xx-nowhere-9.amazonaws.com", None, None),
        )
    )
    assert out["dest_country"].tolist() == ["DE", "US", None]
    assert out["resolution_basis"].tolist() == ["provider_catalog", "provider_catalog", "unknown"]
    assert out["operator_jurisdiction"].iloc[0] == "US"


def test_internal_destinations_take_the_source_assets_place() -> None:
    origin = pd.DataFrame(
        {
            "country": ["DE", "NL", "DE", "FR"],
            "operator": ["Nordlys Cloud GmbH", "Nordlys Cloud B.V.", "x", "y"],
            "operator_jurisdiction": ["DE", "NL", "DE", "FR"],
        }
    )
    out = resolve_flows(
        flows(
            ("loki.monitoring.svc", None, None),
            (None, "10.0.4.2", None),
            ("otel-collector", None, None),
            ("fd00::1", None, None),
        ),
        origin=origin,
    )
    assert set(out["resolution_basis"]) == {"internal"}
    assert out["dest_country"].tolist() == ["DE", "NL", "DE", "FR"]


def test_own_addresses_public_resolvers_and_anywhere() -> None:
    own = pd.DataFrame(
        {
            "address": ["203.0.113.7"],
            "country": ["DE"],
            "operator": ["Nordlys Cloud GmbH"],
            "operator_jurisdiction": ["DE"],
        }
    )
    out = resolve_flows(
        flows(
            (None, "203.0.113.7", None),
            (None, "9.9.9.9", None),
            (None, "8.8.8.8", "8.8.8.8"),
            (None, "0.0.0.0/0", "0.0.0.0/0"),
            (None, "198.51.100.20", None),
        ),
        own=own,
    )
    assert out["resolution_basis"].tolist() == [
        "own_asset",
        "endpoint_catalog",
        "endpoint_catalog",
        "anywhere",
        "unknown",
    ]
    assert out["operator_jurisdiction"].tolist()[:3] == ["DE", "CH", "US"]


def test_an_injected_ip_lookup_gives_a_country_but_no_operator() -> None:
    def lookup(addresses: pd.Series) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "country": addresses.map({"198.51.100.20": "NL"}),
                "as_org": addresses.map({"198.51.100.20": "Example Networks B.V."}),
            }
        )

    out = resolve_flows(flows((None, "198.51.100.20", None)), ip_lookup=lookup).iloc[0]
    assert (out["dest_country"], out["dest_operator"]) == ("NL", "Example Networks B.V.")
    assert out["operator_jurisdiction"] is None  # the network's controller is not known
    assert out["resolution_basis"] == "ip_geolocation"


def test_the_packaged_ip_data_places_a_public_address() -> None:
    from residency import ipdata

    row = ipdata.lookup(pd.Series(["1.1.1.2"])).iloc[0]  # not in the catalog (1.1.1.1 is)
    out = resolve_flows(flows((None, "1.1.1.2", None)), ip_lookup=ipdata.lookup).iloc[0]
    assert out["resolution_basis"] == ("ip_geolocation" if row["country"] else "unknown")
    assert out["dest_country"] == row["country"]


def test_placeholders_and_unknown_hosts_stay_unknown() -> None:
    out = resolve_flows(
        flows((None, None, "${AWS_ENDPOINT}"), ("collector.example.org", None, None))
    )
    assert out["resolution_basis"].tolist() == ["unknown", "unknown"]
    assert out["dest_country"].isna().all()


@pytest.mark.parametrize(
    ("host", "ip", "inside"),
    [
        ("kubernetes.default.svc", None, True),
        ("db.payments.svc.cluster.local", None, True),
        ("metrics", None, True),
        (None, "172.20.1.1", True),
        (None, "100.64.0.1", True),
        (None, "203.0.113.1", False),
        ("api.datadoghq.eu", None, False),
    ],
)
def test_is_internal(host: str | None, ip: str | None, inside: bool) -> None:
    assert is_internal(host, ip) is inside


def test_a_bad_catalog_is_one_line_with_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "endpoints.yaml"
    bad.write_text(
        "endpoints:\n  - {match: x.example, service: X, country: Germany, source: 'https://e'}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"endpoints.yaml:2: endpoints\[0\].*ISO 3166-1"):
        load_endpoints(bad)
    uncited = tmp_path / "uncited.yaml"
    uncited.write_text(
        "endpoints:\n  - {match: x.example, service: X, source: ''}\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="cites an https:// source"):
        load_endpoints(uncited)
