"""Where the packaged data under ``regions/`` lives, installed or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["regions_path"]


@cache
def _regions_root() -> Path:
    installed = Path(__file__).resolve().parent / "regions"
    if installed.is_dir():
        return installed
    # Running from a source checkout or an editable install: regions/ sits at the top level.
    checkout = Path(__file__).resolve().parents[2] / "regions"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"residency data folder not found (looked in {installed} and {checkout})"
    )


def regions_path(*parts: str) -> Path:
    """Path of a file or folder under the packaged ``regions/`` data."""
    return _regions_root().joinpath(*parts)
