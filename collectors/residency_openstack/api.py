"""Listing OpenStack collections page by page through openstacksdk, every failure classified.

One seam: :class:`Pager` wraps one region's ``openstack.connection.Connection`` and yields
raw pages (lists of JSON objects) through the service proxies (keystoneauth adapters, which
resolve the endpoint from the catalog and negotiate versions). No SDK resource objects are
built: memory stays bounded by the page size whatever the cloud's size.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from keystoneauth1 import exceptions as ksa_exceptions

__all__ = ["ListError", "Pager", "Paging", "error_message"]

Paging = Literal["marker", "offset", "swift", "none"]


class ListError(Exception):
    """A listing that could not complete: ``status`` is the coverage status it earns."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_message(status: int, body: bytes | str | None) -> str:
    """``<status> <the service's own message>``: the error bodies of Nova, Cinder, Neutron,
    Keystone, Glance, Barbican, Octavia and Designate all differ; headers are never used
    (they could carry a token)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    message: Any = None
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        # {"forbidden": {"message": …}}, {"error": {"message": …}}, {"NeutronError": …},
        # Barbican {"description": …}, Octavia {"faultstring": …}, Designate {"message": …}
        inner = next((v for v in data.values() if isinstance(v, dict)), data)
        for key in ("message", "description", "faultstring", "title"):
            if isinstance(inner.get(key), str):
                message = inner[key]
                break
        else:
            message = next((data[k] for k in ("message", "faultstring") if k in data), None)
    elif text.lstrip().startswith("<"):
        message = None  # an HTML error page (Glance): the status says it all
    elif text:
        message = text.strip().splitlines()[0][:200]
    return f"{status} {message}" if message else f"{status} {_REASONS.get(status, 'error')}"


_REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_RETRIED = frozenset({408, 429, 500, 502, 503, 504})
_NETWORK_ERRORS = (ksa_exceptions.ConnectionError, ksa_exceptions.RetriableConnectionFailure)


@dataclass
class Pager:
    """Pages of one region's collections, with bounded retries and backoff."""

    proxy_of: Callable[[str], Any]  # service type -> the connection's proxy (an Adapter)
    page_size: int = 1000
    retries: int = 3
    backoff_s: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def get(
        self,
        service: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        microversion: str | None = None,
        method: str = "GET",
    ) -> Any:
        """One request, retried on 5xx/429/timeouts; raises :class:`ListError` otherwise."""
        proxy = self.proxy_of(service)
        attempt = 0
        while True:
            kwargs: dict[str, Any] = {"params": dict(params or {}), "headers": dict(headers or {})}
            if microversion:
                kwargs["microversion"] = microversion
            try:
                response = proxy.request(path, method, raise_exc=False, **kwargs)
            except _NETWORK_ERRORS as exc:
                failure = f"{type(exc).__name__}: {_first_line(exc)}"
                retry = True
            except ksa_exceptions.EndpointNotFound:
                raise ListError("not_found", f"no '{service}' endpoint in the catalog") from None
            except ksa_exceptions.ClientException as exc:
                raise ListError("error", f"{type(exc).__name__}: {_first_line(exc)}") from None
            else:
                status = response.status_code
                if status < 300:
                    return response
                failure = error_message(status, response.content)
                if status in (401, 403):
                    raise ListError("forbidden", failure)
                if status == 404:
                    raise ListError("not_found", failure)
                if status == 406 and microversion:
                    # The cloud is older than the microversion asked for: ask without it.
                    microversion = None
                    continue
                retry = status in _RETRIED
            if not retry or attempt >= self.retries:
                suffix = f" (after {attempt + 1} attempts)" if attempt else ""
                raise ListError("error", failure + suffix)
            self.sleep(self.backoff_s * 2**attempt)
            attempt += 1

    def pages(
        self,
        service: str,
        path: str,
        key: str | None,
        paging: Paging,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        microversion: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection, in order; ``key`` is the list's key in the body
        (None for Swift's top-level array)."""
        query: dict[str, Any] = dict(params or {})
        if paging != "none":
            query["limit"] = self.page_size
        seen: set[str] = set()
        offset = 0
        while True:
            response = self.get(service, path, query, headers, microversion)
            body: Any = response.json() if response.content else ([] if key is None else {})
            items = body if key is None else body.get(key, [])
            if not isinstance(items, list):
                raise ListError("error", f"unexpected response: '{key}' is not a list")
            if items:
                yield items
            if paging == "none" or not items:
                return
            if paging == "offset":
                offset += len(items)
                if not _has_next(body) and len(items) < self.page_size:
                    return
                query["offset"] = offset
                continue
            if paging == "swift":
                if len(items) < self.page_size:
                    return
                marker = str(items[-1].get("name"))
            else:
                nxt = _next_link(body, key)
                if nxt is None:
                    return
                marker = _marker(nxt) or str(items[-1].get("id"))
            if marker in seen:
                raise ListError("error", f"pagination repeated marker {marker!r}")
            seen.add(marker)
            query["marker"] = marker


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:200]


def _next_link(body: Any, key: str | None) -> str | None:
    """The ``next`` link of a page: ``<key>_links`` (Nova, Cinder, Neutron, Octavia),
    a top-level ``next`` (Glance, Barbican) or ``links.next`` (Designate)."""
    if not isinstance(body, dict):
        return None
    for link in body.get(f"{key}_links") or []:
        if isinstance(link, dict) and link.get("rel") == "next":
            return str(link.get("href"))
    if isinstance(body.get("next"), str):
        return str(body["next"])
    links = body.get("links")
    if isinstance(links, dict) and isinstance(links.get("next"), str):
        return str(links["next"])
    return None


def _has_next(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("next"), str)


def _marker(link: str) -> str | None:
    values = parse_qs(urlsplit(link).query).get("marker")
    return values[-1] if values else None
