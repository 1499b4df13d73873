"""Custom resources that send data elsewhere: Velero backup locations, cert-manager issuers.

Absent CRDs are ``not_found`` coverage (nothing to see), present but forbidden ones
``forbidden``. Credentials these objects reference (secret names) are never followed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from residency.endpoints import split_endpoints
from residency_kubernetes.fields import Items, column, object_rows
from residency_kubernetes.flows import flow_rows

__all__ = [
    "BSL_ATTRIBUTES",
    "ISSUER_ATTRIBUTES",
    "acme_flows",
    "backup_flows",
    "transform_backup_locations",
    "transform_issuers",
]

BSL_ATTRIBUTES: Final = ["bucket", "s3_url", "velero_provider"]
ISSUER_ATTRIBUTES: Final = ["acme_server", "issuer_kind"]
# Velero's object-store plugins → provider catalog ids.
_VELERO_PROVIDERS: Final = {
    "aws": "aws",
    "velero.io/aws": "aws",
    "gcp": "gcp",
    "velero.io/gcp": "gcp",
    "azure": "azure",
    "velero.io/azure": "azure",
}


def transform_backup_locations(items: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """BackupStorageLocations: the backup target is an asset where the provider and region
    say where it is (an S3-compatible ``s3Url`` instead is placed by resolving its host)."""
    page = Items(items)
    plugin = column(page, "spec.provider")
    s3_url = column(page, "spec.config.s3Url")
    provider = plugin.str.lower().map(_VELERO_PROVIDERS).astype(object)
    # A custom s3Url means the bucket is not at the plugin's cloud, whatever the region says.
    provider = provider.where(s3_url.isna(), None)
    return object_rows(
        page,
        "backup_location",
        region=column(page, "spec.config.region"),
        provider=provider,
        bucket=column(page, "spec.objectStorage.bucket"),
        s3_url=s3_url,
        velero_provider=plugin,
    )


def backup_flows(locations: pd.DataFrame) -> pd.DataFrame:
    """One ``backup`` flow per location: to its s3Url, or to the provider's object store."""
    aws = "https://s3." + locations["region"].fillna("us-east-1") + ".amazonaws.com"
    default = (
        locations["velero_provider"]
        .str.lower()
        .map({"aws": None, "gcp": "https://storage.googleapis.com"})
    )
    target = locations["s3_url"].where(locations["s3_url"].notna(), default)
    target = target.where(
        target.notna() | ~locations["velero_provider"].str.lower().isin(["aws", "velero.io/aws"]),
        aws,
    )
    evidence = (
        "BackupStorageLocation "
        + locations["scope"].fillna("")
        + "/"
        + locations["name"]
        + " provider "
        + locations["velero_provider"].fillna("?")
        + ", bucket "
        + locations["bucket"].fillna("?")
    )
    return flow_rows(locations["asset_id"], "backup", split_endpoints(target), evidence)


def transform_issuers(
    items: Sequence[Mapping[str, Any]], issuer_kind: str, stored_on: str | None
) -> pd.DataFrame:
    """cert-manager Issuers and ClusterIssuers (their ACME server is a flow)."""
    page = Items(items)
    return object_rows(
        page,
        "certificate_issuer",
        parent_id=stored_on,
        acme_server=column(page, "spec.acme.server"),
        issuer_kind=issuer_kind,
    )


def acme_flows(issuers: pd.DataFrame) -> pd.DataFrame:
    """One ``acme`` flow per issuer with an ACME server."""
    acme = issuers.dropna(subset=["acme_server"])
    evidence = acme["issuer_kind"] + " " + acme["name"] + " spec.acme.server"
    return flow_rows(acme["asset_id"], "acme", split_endpoints(acme["acme_server"]), evidence)
