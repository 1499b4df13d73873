"""Where a cloud's resources send data: egress rules, VPN peers, federated IdPs, secondary
DNS masters and Swift container sync targets. Endpoints that are URLs are split by
:func:`residency.endpoints.split_endpoints` (no userinfo, no query tokens are kept)."""

from __future__ import annotations

import ipaddress
from typing import Final

import numpy as np
import pandas as pd

from residency.endpoints import split_endpoints
from residency.fields import Items, column
from residency.resolve import is_internal

from .rows import element_table

__all__ = [
    "FLOW_COLUMNS",
    "address_flows",
    "egress_flows",
    "rule_egress_flows",
    "service_provider_flows",
    "url_flows",
]

FLOW_COLUMNS: Final = ["asset_id", "channel", "endpoint", "host", "ip", "port", "evidence"]
_ANYWHERE: Final = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FLOW_COLUMNS})


def _finished(flows: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects with None for missing (pandas would infer its own
    string dtype and NaN); the port stays a nullable integer."""
    text = [c for c in FLOW_COLUMNS if c != "port"]
    flows[text] = flows[text].astype(object).where(flows[text].notna(), None)
    return flows


def _is_outside(prefixes: pd.Series) -> np.ndarray:
    """Whether each prefix reaches beyond internal address space (decided once per
    distinct prefix: a cloud has few)."""
    codes, distinct = pd.factorize(prefixes)

    def outside(text: str) -> bool:
        # A prefix that does not parse is never assumed to stay inside.
        return not is_internal(None, text)

    verdict = np.array([outside(str(p)) for p in distinct], dtype=bool)
    return verdict[codes] if len(distinct) else np.zeros(len(prefixes), dtype=bool)


_RULE_FIELDS: Final = (
    "direction",
    "ethertype",
    "remote_ip_prefix",
    "remote_group_id",
    "port_range_min",
    "port_range_max",
)


def egress_flows(page: Items, assets: pd.DataFrame) -> pd.DataFrame:
    """One ``egress`` flow per (security group, destination prefix, port) its egress rules
    allow beyond private address space; a rule with no remote prefix or group allows
    anywhere (``0.0.0.0/0`` or ``::/0`` by ethertype)."""
    rules = element_table(page, "security_group_rules", _RULE_FIELDS)
    if rules is None or rules["direction"].isna().all():
        return _empty()
    return _egress(rules, assets["asset_id"], assets["name"])


def rule_egress_flows(page: Items) -> pd.DataFrame:
    """:func:`egress_flows` for ``GET /v2.0/security-group-rules`` (rules listed on their
    own): each flow belongs to the rule's ``security_group_id``, which also names it."""
    if len(page) == 0:
        return _empty()
    rules = pd.DataFrame({name: column(page, name) for name in _RULE_FIELDS})
    rules["owner"] = np.arange(len(page))
    group = column(page, "security_group_id")
    return _egress(rules, group, group)


def _egress(rules: pd.DataFrame, asset_ids: pd.Series, names: pd.Series) -> pd.DataFrame:
    """Egress rules (with the row of their group in ``asset_ids``/``names`` as ``owner``)
    as flows."""
    rules = rules[rules["direction"].eq("egress") & rules["remote_group_id"].isna()]
    prefix = rules["remote_ip_prefix"].where(
        rules["remote_ip_prefix"].notna(), rules["ethertype"].map(_ANYWHERE)
    )
    rules = rules.assign(prefix=prefix)[prefix.notna()]
    rules = rules[_is_outside(rules["prefix"])]
    low = pd.to_numeric(rules["port_range_min"])
    single = low.notna() & low.eq(pd.to_numeric(rules["port_range_max"]))
    port = low.where(single, None).astype("Int32")
    owners = rules["owner"].to_numpy(dtype=np.int64)
    flows = pd.DataFrame(
        {
            "asset_id": asset_ids.to_numpy(dtype=object)[owners],
            "channel": "egress",
            "endpoint": rules["prefix"].to_numpy(dtype=object),
            "host": None,
            "ip": rules["prefix"].to_numpy(dtype=object),
            "port": port.array,
            "evidence": "security group "
            + names.astype(str).to_numpy(dtype=object)[owners]
            + " allows egress to "
            + rules["prefix"].astype(str).to_numpy(dtype=object),
        }
    )
    return _finished(flows.drop_duplicates(["asset_id", "endpoint", "port"]).reset_index(drop=True))


def address_flows(
    assets: pd.DataFrame, addresses: pd.Series, channel: str, evidence: str
) -> pd.DataFrame:
    """Flows to plain addresses (a VPN peer, a DNS master), one per (asset, address);
    ``addresses`` holds comma-joined values aligned with ``assets``. ``evidence`` is a
    template with ``{name}`` and ``{address}``."""
    frame = pd.DataFrame(
        {"asset_id": assets["asset_id"].to_numpy(dtype=object), "name": assets["name"]}
    )
    frame["address"] = addresses.to_numpy(dtype=object)
    frame = frame.dropna(subset=["address"])
    frame = frame.assign(address=frame["address"].str.split(",")).explode("address")
    frame = frame[frame["address"].str.len() > 0]
    if frame.empty:
        return _empty()
    is_ip = _parses_as_ip(frame["address"])
    before, _, after = evidence.partition("{name}")
    middle, _, tail = after.partition("{address}")
    return _finished(
        pd.DataFrame(
            {
                "asset_id": frame["asset_id"].to_numpy(dtype=object),
                "channel": channel,
                "endpoint": frame["address"].to_numpy(dtype=object),
                "host": frame["address"].mask(is_ip),
                "ip": frame["address"].where(is_ip),
                "port": pd.array([None] * len(frame), dtype="Int32"),
                "evidence": (
                    before + frame["name"].astype(str) + middle + frame["address"] + tail
                ).to_numpy(dtype=object),
            }
        )
    )


def _parses_as_ip(values: pd.Series) -> np.ndarray:
    """Whether each value is an address or a prefix (a VPN's remote CIDR), not a name."""
    codes, distinct = pd.factorize(values)

    def is_ip(text: str) -> bool:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            return False
        return True

    verdict = np.array([is_ip(str(v)) for v in distinct], dtype=bool)
    return verdict[codes] if len(distinct) else np.zeros(len(values), dtype=bool)


def url_flows(assets: pd.DataFrame, urls: pd.Series, channel: str, evidence: str) -> pd.DataFrame:
    """Flows to URLs (an IdP's remote ids, a container's sync target), stored safely."""
    frame = pd.DataFrame(
        {"asset_id": assets["asset_id"].to_numpy(dtype=object), "name": assets["name"]}
    )
    frame["url"] = urls.to_numpy(dtype=object)
    frame = frame.dropna(subset=["url"])
    frame = frame.assign(url=frame["url"].str.split("\n")).explode("url")
    if frame.empty:
        return _empty()
    parsed = split_endpoints(frame["url"])
    # An entity id that is not a URL (``acme_id_1``) is kept as it is, without a host.
    endpoint = parsed["endpoint"].where(parsed["endpoint"].notna(), parsed["unresolved"])
    before, _, after = evidence.partition("{name}")
    middle, _, tail = after.partition("{address}")
    shown = endpoint.astype(str)
    return _finished(
        pd.DataFrame(
            {
                "asset_id": frame["asset_id"].to_numpy(dtype=object),
                "channel": channel,
                "endpoint": endpoint.to_numpy(dtype=object),
                "host": parsed["host"].to_numpy(dtype=object),
                "ip": None,
                "port": parsed["port"].array,
                "evidence": (before + frame["name"].astype(str) + middle + shown + tail).to_numpy(
                    dtype=object
                ),
            }
        )
    )


def service_provider_flows(page: Items, assets: pd.DataFrame) -> pd.DataFrame:
    """A Keystone service provider's ``sp_url`` (where this cloud's assertions about its
    users go) and ``auth_url`` (the remote Keystone): two ``identity`` flows per provider."""
    return url_flows(
        pd.concat([assets, assets], ignore_index=True),
        pd.concat([assets["sp_url"], assets["auth_url"]], ignore_index=True),
        "identity",
        "service provider {name} receives this cloud's identities at {address}",
    )
