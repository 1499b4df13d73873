"""CoreDNS: where the cluster forwards the DNS queries it cannot answer itself."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from residency.endpoints import split_endpoints
from residency.telemetry import FLOW_COLUMNS
from residency_kubernetes.flows import flow_rows

__all__ = ["corefile_forwards"]

# forward FROM TO... [{ — TO is an IP (optionally with a port), a dns:// or tls:// IP,
# or a resolv.conf path; CoreDNS accepts no host names there.
_FORWARD: Final = r"(?m)^\s*forward\s+(?P<zone>\S+)\s+(?P<targets>[^{\n]+)"
_IP_TARGET: Final = (
    r"^(?:(?P<scheme>dns|tls)://)?"
    r"(?P<ip>\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f]*:[0-9A-Fa-f:]+)"
    r"(?::(?P<port>\d+))?$"
)


def corefile_forwards(config_maps: pd.DataFrame) -> pd.DataFrame:
    """One ``dns`` flow per forward target in each config map's ``corefile`` column.

    Targets that are not addresses (``UPSTREAMNAMESERVER`` in a template, ``/etc/resolv.conf``
    which defers to the node's resolver) are flows without a host: unresolved, never placed.
    """
    maps = config_maps.dropna(subset=["corefile"])
    if maps.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    found = maps["corefile"].str.extractall(_FORWARD)
    targets = found.assign(target=found["targets"].str.split()).explode("target")
    owner = targets.index.get_level_values(0)
    parts = targets["target"].str.extract(_IP_TARGET)
    is_ip = parts["ip"].notna().to_numpy()
    scheme = parts["scheme"].fillna("dns")
    url = (scheme + "://" + parts["ip"] + (":" + parts["port"]).fillna("")).where(is_ip)
    endpoints = split_endpoints(url)
    source = maps.loc[owner]
    evidence = (
        "ConfigMap "
        + source["scope"].fillna("").to_numpy()
        + "/"
        + source["name"].to_numpy()
        + " Corefile: forward "
        + targets["zone"].to_numpy()
        + " "
        + targets["target"].to_numpy()
    )
    evidence = np.where(is_ip, evidence, evidence + " (unresolved)")
    return flow_rows(source["asset_id"], "dns", endpoints, evidence)
