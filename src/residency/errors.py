"""Errors a user can cause; the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "ResidencyError", "StoreError"]


class ResidencyError(Exception):
    """A problem the user can fix: bad input, unreachable API, unusable store."""

    exit_code = 2


class ConfigError(ResidencyError):
    """The configuration or an area file is malformed."""


class DataError(ResidencyError):
    """Packaged or user-supplied data (catalogs, points, payloads) is malformed."""


class StoreError(ResidencyError):
    """The sweep store cannot be written or read."""
