"""residency: prove where an estate's Critical Assets, metadata and telemetry stay."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
