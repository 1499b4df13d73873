"""Where data leaves the cluster's objects for: registries, webhooks, aggregated API servers,
external names and the service-account token issuer.

Each function takes asset rows a transform produced and returns declared flow rows; the
endpoints are split by :func:`residency.endpoints.split_endpoints`, so no userinfo, query
token or template placeholder is ever stored as a host.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from residency.endpoints import split_endpoints
from residency.telemetry import FLOW_COLUMNS

__all__ = [
    "api_service_flows",
    "external_name_flows",
    "flow_rows",
    "identity_flows",
    "registry_flows",
    "registry_of",
    "webhook_flows",
]

# An image reference's first path element is a registry when it looks like a host name
# (a dot or a port) or is localhost; otherwise the image comes from Docker Hub.
_IMAGE: Final = (
    r"^(?:(?P<registry>[^/]*[.:][^/]*|localhost)/)?(?P<repository>[^@]+?)(?::[^/:@]+)?(?:@.+)?$"
)
DOCKER_HUB: Final = "docker.io"
# Names of the cluster's own API server from inside it: an issuer there is not a flow out.
IN_CLUSTER: Final = r"^kubernetes(?:\.default(?:\.svc(?:\..*)?)?)?$"


def registry_of(images: pd.Series) -> pd.Series:
    """The registry host of each image reference (``nginx`` → ``docker.io``)."""
    parts = images.str.extract(_IMAGE)
    registry = parts["registry"].where(parts["registry"].notna(), DOCKER_HUB)
    return registry.where(images.notna(), None).str.lower()


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=FLOW_COLUMNS)


def flow_rows(asset_id: Any, channel: str, endpoints: pd.DataFrame, evidence: Any) -> pd.DataFrame:
    """Flow rows from aligned asset ids, :func:`split_endpoints` output and evidence texts
    (matched by position, never by index)."""
    return pd.DataFrame(
        {
            "asset_id": np.asarray(asset_id, dtype=object),
            "channel": channel,
            "endpoint": endpoints["endpoint"].to_numpy(dtype=object),
            "host": endpoints["host"].to_numpy(dtype=object),
            "port": endpoints["port"].array,
            "evidence": np.asarray(evidence, dtype=object),
        }
    )


def registry_flows(pods: pd.DataFrame) -> pd.DataFrame:
    """One ``registry`` flow per (pod, registry) its containers pull images from."""
    if pods.empty or pods["images"].isna().all():
        return _empty()
    images = pods[["asset_id", "scope", "name", "images"]].dropna(subset=["images"])
    images = images.assign(image=images["images"].str.split(",")).explode("image")
    # A cluster runs few distinct images: parse each once, then spread it to every pod.
    codes, distinct = pd.factorize(images["image"])
    images["registry"] = registry_of(pd.Series(distinct, dtype=object)).to_numpy()[codes]
    # The first image a pod pulls from each registry is the evidence for that flow.
    per_registry = images.drop_duplicates(["asset_id", "registry"]).reset_index(drop=True)
    registry_codes, registries = pd.factorize(per_registry["registry"])
    parsed = split_endpoints("https://" + pd.Series(registries, dtype=object))
    endpoints = parsed.iloc[registry_codes].reset_index(drop=True)
    evidence = (
        "Pod "
        + per_registry["scope"].fillna("")
        + "/"
        + per_registry["name"]
        + " pulls image "
        + per_registry["image"]
    )
    return flow_rows(per_registry["asset_id"], "registry", endpoints, evidence)


def webhook_flows(webhooks: pd.DataFrame) -> pd.DataFrame:
    """One ``webhook`` flow per host an admission webhook calls by URL."""
    hooks = webhooks.dropna(subset=["webhook_hosts"])
    if hooks.empty:
        return _empty()
    hooks = hooks.assign(host=hooks["webhook_hosts"].str.split(",")).explode("host")
    evidence = (
        hooks["webhook_kind"].str.capitalize()
        + "WebhookConfiguration "
        + hooks["name"]
        + " webhooks[].clientConfig.url"
    )
    return flow_rows(
        hooks["asset_id"], "webhook", split_endpoints("https://" + hooks["host"]), evidence
    )


def external_name_flows(services: pd.DataFrame) -> pd.DataFrame:
    """One ``egress`` flow per Service of type ExternalName."""
    external = services.dropna(subset=["external_name"])
    if external.empty:
        return _empty()
    evidence = "Service " + external["scope"].fillna("") + "/" + external["name"]
    evidence = evidence + " spec.externalName"
    return flow_rows(
        external["asset_id"], "egress", split_endpoints(external["external_name"]), evidence
    )


def api_service_flows(api_services: pd.DataFrame) -> pd.DataFrame:
    """One ``webhook`` flow per aggregated APIService whose backing Service is an ExternalName:
    the apiserver forwards the requests (objects included) of that API group to that host."""
    external = api_services.dropna(subset=["external_name"])
    if external.empty:
        return _empty()
    port = external["service_port"].fillna("443")
    endpoints = split_endpoints("https://" + external["external_name"] + ":" + port)
    evidence = (
        "APIService "
        + external["name"]
        + " is served through an ExternalName Service at "
        + endpoints["endpoint"].fillna(external["external_name"])
    )
    return flow_rows(external["asset_id"], "webhook", endpoints, evidence)


def identity_flows(clusters: pd.DataFrame) -> pd.DataFrame:
    """One ``identity`` flow per cluster whose service-account token issuer is outside it
    (relying parties fetch its keys there; an issuer ``kubernetes.default.svc…`` or the API
    server's own host is the cluster itself)."""
    issuers = split_endpoints(clusters["issuer"])
    inside = issuers["host"].str.match(IN_CLUSTER, na=False) | issuers["host"].eq(clusters["name"])
    keep = (clusters["issuer"].notna() & ~inside).to_numpy()
    if not keep.any():
        return _empty()
    evidence = "GET /.well-known/openid-configuration: issuer " + clusters["issuer"][keep]
    return flow_rows(clusters["asset_id"][keep], "identity", issuers[keep], evidence)
