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
from urllib.parse import urlencode

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

__all__ = ["Answer", "ListError", "Lister", "http_get"]


class ListError(Exception):
    """A listing that could not complete: ``status`` is the coverage status it earns."""

    def __init__(self, status: str, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.unreachable = unreachable  # no HTTP answer at all: the server is not there


def _status_message(status: int, reason: str | None, body: bytes | str | None) -> str:
    """The API's own Status message (never headers: they could carry credentials)."""
    try:
        data = json.loads(body) if body else {}
    except (TypeError, ValueError):
        data = {}
    message = data.get("message") if isinstance(data, dict) else None
    return f"{status} {reason or ''}: {message or 'no message'}".strip()


class _GoneError(Exception):
    """410 Gone on a list: the continue token expired and the list must restart."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, reason, Content-Type and the whole body."""

    status: int
    reason: str | None
    content_type: str | None
    data: bytes


def http_get(api: ApiClient, url: str, timeout_s: float) -> Answer:
    """One GET through the REST client that every ``ApiClient`` exposes (``rest_client``).

    Only what every supported client release has in common is used: ``request(method, url,
    headers=..., _request_timeout=...)``, the ``Configuration``'s ``host`` and
    ``auth_settings()`` (which also refreshes an exec or OIDC token), and the client's
    ``default_headers``. Releases before 37 read the body and raise ``ApiException`` on a
    non-2xx status; 37 and later return an unread response whatever the status. Both end here
    as one status and one body.
    """
    headers = dict(api.default_headers)
    headers["Accept"] = "application/json"
    for setting in api.configuration.auth_settings().values():
        if setting.get("in") == "header" and setting.get("value"):
            headers[setting["key"]] = setting["value"]
    try:
        response = api.rest_client.request("GET", url, headers=headers, _request_timeout=timeout_s)
    except ApiException as exc:
        if not exc.status:  # the client's own "no answer" (status 0): a transport failure
            raise OSError(exc.reason or "no answer") from None
        body = exc.body if isinstance(exc.body, (bytes, str)) else None
        data = body.encode() if isinstance(body, str) else (body or b"")
        answered = exc.headers or {}
        return Answer(int(exc.status), exc.reason, answered.get("Content-Type"), data)
    data = response.data
    if data is None:  # 37 and later: the body is read on demand
        data = response.read()
    return Answer(
        int(response.status),
        response.reason,
        response.getheader("Content-Type"),
        data if data is not None else b"",
    )


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
        query: dict[str, Any] = {"limit": self.page_size}
        if token:
            query["continue"] = token
        return self._call(path, query)

    def get(self, path: str) -> dict[str, Any]:
        """One object at ``path`` (``/version``, the issuer discovery document), classified
        and retried as a list page is."""
        try:
            return self._call(path, {})
        except _GoneError as exc:  # 410 Gone has no meaning outside a list
            raise ListError("error", exc.message) from None

    def _call(self, path: str, query: dict[str, Any]) -> dict[str, Any]:
        url = self.api.configuration.host.rstrip("/") + path
        if query:
            url += "?" + urlencode(query)
        attempt = 0
        while True:
            try:
                answer = http_get(self.api, url, self.timeout_s)
            except (HTTPError, OSError) as exc:
                if attempt >= self.retries:
                    raise ListError(
                        "error",
                        f"cannot reach the API server: {type(exc).__name__} "
                        f"(after {attempt + 1} attempts)",
                        unreachable=True,
                    ) from None
            else:
                status = answer.status
                if 200 <= status <= 299:
                    try:
                        data = json.loads(answer.data)
                    except ValueError as exc:
                        raise ListError(
                            "error", f"the API answered with invalid JSON: {exc}"
                        ) from None
                    if not isinstance(data, dict):
                        raise ListError(
                            "error",
                            f"the API answered with a JSON {type(data).__name__}, not an object",
                        )
                    return data
                message = _status_message(status, answer.reason, answer.data)
                if status in (401, 403):
                    raise ListError("forbidden", message)
                if status == 404:
                    raise ListError("not_found", message)
                if status == 410:
                    raise _GoneError(message)
                retryable = status == 429 or status >= 500
                if not retryable or attempt >= self.retries:
                    raise ListError("error", f"{message} (after {attempt + 1} attempts)")
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
            except _GoneError as exc:  # 410 Gone: the continue token expired
                if restarts >= self.retries:
                    raise ListError(
                        "error", f"{exc.message} (list restarted {restarts} times)"
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
