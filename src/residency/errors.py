"""Errors a user can cause; the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

__all__ = ["INTERNAL_ERROR", "ConfigError", "DataError", "ResidencyError", "StoreError"]


class ResidencyError(Exception):
    """A problem the user can fix: bad input, unreachable API, unusable store."""

    exit_code = 2


class ConfigError(ResidencyError):
    """The configuration or an area file is malformed."""


class DataError(ResidencyError):
    """Packaged or user-supplied data (catalogs, points, payloads) is malformed."""


class StoreError(ResidencyError):
    """The sweep store cannot be written or read."""


INTERNAL_ERROR = 4
"""The exit code of a bug or an unforeseen exception: never a verdict (0, 1, 3) and never a
user's mistake (2). The CLI prints one line and writes the traceback to a file."""
