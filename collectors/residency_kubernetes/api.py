"""Listing through the official client, page by page, with every failure classified.

One seam: :class:`Lister` wraps a ``kubernetes.client.ApiClient`` (built from a kubeconfig
context or the in-cluster service account) and yields pages of raw objects. It never holds a
whole list: memory stays bounded by the page size.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

__all__ = ["ListError", "Lister"]


class ListError(Exception):
    """A listing that could not complete: ``status`` is the coverage status it earns."""

    def __init__(self, status: str, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.unreachable = unreachable  # no HTTP answer at all: the server is not there


def _status_message(exc: ApiException) -> str:
    """The API's own Status message (never headers: they could carry credentials)."""
    body = getattr(exc, "body", None)
    try:
        data = json.loads(body) if body else {}
    except (TypeError, ValueError):
        data = {}
    message = data.get("message") if isinstance(data, dict) else None
    return f"{exc.status} {exc.reason or ''}: {message or 'no message'}".strip()


@dataclass
class Lister:
    """Pages of one cluster's objects, with bounded retries and 410 restarts."""

    api: ApiClient
    page_size: int = 500
    retries: int = 3
    backoff_s: float = 0.5
    timeout_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def _get(self, path: str, token: str | None) -> dict[str, Any]:
        query: list[tuple[str, Any]] = [("limit", self.page_size)]
        if token:
            query.append(("continue", token))
        return self._call(path, query)

    def get(self, path: str) -> dict[str, Any]:
        """One object at ``path`` (``/version``, the issuer discovery document), classified
        and retried as a list page is."""
        try:
            return self._call(path, [])
        except ApiException as exc:  # 410 Gone has no meaning outside a list
            raise ListError("error", _status_message(exc)) from None

    def _call(self, path: str, query: list[tuple[str, Any]]) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                response = self.api.call_api(
                    path,
                    "GET",
                    query_params=query,
                    header_params={"Accept": "application/json"},
                    auth_settings=["BearerToken"],
                    response_types_map={},
                    _preload_content=False,
                    _return_http_data_only=True,
                    _request_timeout=self.timeout_s,
                )
                data: dict[str, Any] = json.loads(response.data)
                return data
            except ApiException as exc:
                if exc.status in (401, 403):
                    raise ListError("forbidden", _status_message(exc)) from None
                if exc.status == 404:
                    raise ListError("not_found", _status_message(exc)) from None
                if exc.status == 410:
                    raise
                retryable = exc.status in (0, 429) or exc.status >= 500
                if not retryable or attempt >= self.retries:
                    message = _status_message(exc)
                    raise ListError("error", f"{message} (after {attempt + 1} attempts)") from None
            except (HTTPError, OSError) as exc:
                if attempt >= self.retries:
                    raise ListError(
                        "error",
                        f"cannot reach the API server: {type(exc).__name__} "
                        f"(after {attempt + 1} attempts)",
                        unreachable=True,
                    ) from None
            except ValueError as exc:
                raise ListError("error", f"the API answered with invalid JSON: {exc}") from None
            self.sleep(self.backoff_s * 2**attempt)
            attempt += 1

    def pages(self, path: str) -> Iterator[list[dict[str, Any]]]:
        """Every page of the list at ``path``.

        An expired continue token (410) restarts the list; the API lists in key order
        (namespace, name), so the restarted list skips what was already yielded.
        """
        last_key: tuple[str, str] | None = None
        restarts = 0
        token: str | None = None
        while True:
            try:
                body = self._get(path, token)
            except ApiException as exc:  # 410 Gone: the continue token expired
                if restarts >= self.retries:
                    raise ListError(
                        "error", f"{_status_message(exc)} (list restarted {restarts} times)"
                    ) from None
                restarts += 1
                token = None
                continue
            items: list[dict[str, Any]] = body.get("items") or []
            if restarts and last_key is not None and items and _key(items[0]) <= last_key:
                items = [item for item in items if _key(item) > last_key]
            if items:
                last_key = _key(items[-1])
                yield items
            token = (body.get("metadata") or {}).get("continue") or None
            if token is None:
                return


def _key(item: dict[str, Any]) -> tuple[str, str]:
    metadata = item.get("metadata") or {}
    return (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))
