"""Endpoints as configured, made safe to store: host, port and path, never userinfo or queries.

Everything works on whole Series of strings at once (pandas' vectorised string methods).
A value that is a template placeholder (``${AWS_REGION}``, ``{{ .Namespace }}``,
``<local-cluster-endpoint>``, Fluentd's Ruby ``#{ENV['ES_HOST']}``) has no host: it is
reported as unresolved, never as a place.
"""

from __future__ import annotations

import ipaddress
from typing import Final

import pandas as pd

__all__ = ["DEFAULT_PORTS", "canonical_ip", "split_endpoints"]

DEFAULT_PORTS: Final = {
    "http": 80,
    "https": 443,
    "grpc": 443,
    "tls": 853,
    "dns": 53,
    "s3": 443,
    "oci": 443,
    "ldap": 389,
    "ldaps": 636,
    "tcp": None,
    "udp": None,
}

_URL: Final = (
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
    r"(?:[^@/?#]*@)?"  # userinfo: matched to be dropped
    r"(?P<host>\[[^\]]*\]|(?:#\{[^}]*\}|[^:/?#])*)"  # Ruby's #{...} is a placeholder
    r"(?::(?P<port>\d{1,5}))?"
    r"(?P<path>/[^?#\s]*)?"
)
_VALID_HOST: Final = r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$"
_PLACEHOLDER: Final = r"\$\{|#\{|\{\{|<[^>]*>|%\(|\$\("


def split_endpoints(raw: pd.Series) -> pd.DataFrame:
    """``endpoint`` (safe to store), ``host``, ``port`` and ``unresolved`` for raw endpoints.

    ``unresolved`` holds the raw host text where it is a placeholder or not a host name.
    """
    text = raw.astype(object).where(raw.notna(), None).astype("string").str.strip()
    parts = text.str.extract(_URL)
    scheme = parts["scheme"].str.lower()
    host = parts["host"]
    placeholder = text.str.contains(_PLACEHOLDER, regex=True, na=False)
    valid = host.str.match(_VALID_HOST, na=False) & ~placeholder
    port = pd.to_numeric(parts["port"], errors="coerce")
    port = port.where(port.notna(), scheme.map(DEFAULT_PORTS))
    safe_host = host.str.lower()
    authority = safe_host.where(parts["port"].isna(), safe_host + ":" + parts["port"])
    endpoint = (scheme + "://").fillna("") + authority.fillna("") + parts["path"].fillna("")
    return pd.DataFrame(
        {
            "endpoint": _objects(endpoint.where(text.notna() & valid)),
            "host": _objects(safe_host.where(valid)),
            "port": port.where(valid).astype("Int32"),
            "unresolved": _objects(host.where(text.notna() & ~valid)),
        },
        index=raw.index,
    )


def canonical_ip(text: str | None) -> str | None:
    """``text`` as an IP address in its canonical form, or None if it is not one."""
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _objects(values: pd.Series) -> pd.Series:
    """Plain Python strings and None (not pandas' NA), as the Arrow conversion expects."""
    out = values.astype(object)
    return out.where(out.notna(), None)
