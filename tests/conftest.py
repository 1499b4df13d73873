"""Shared fixtures: one sample sweep per session, written to a real store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from residency.config import Config, load_config
from residency.sample import Estate, generate_estate
from residency.store import StoredSweep, open_sweep
from residency.sweep import SweepOutcome, run_sweep

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def write_config(folder: Path, data: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "residency.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def estate() -> Estate:
    return generate_estate(seed=7, scale=1.0)


@pytest.fixture(scope="session")
def sample_config(tmp_path_factory: pytest.TempPathFactory, estate: Estate) -> Config:
    folder = tmp_path_factory.mktemp("sample")
    return load_config(write_config(folder, estate.config(store="store", today=dt.date.today())))


@pytest.fixture(scope="session")
def sample_outcome(sample_config: Config) -> SweepOutcome:
    return run_sweep(sample_config, "residency.yaml")


@pytest.fixture(scope="session")
def sample_sweep(sample_config: Config, sample_outcome: SweepOutcome) -> StoredSweep:
    return open_sweep(sample_config.store_location(), sample_outcome.sweep_id)


def openstack_warning_filters() -> list[pytest.MarkDecorator]:
    """Marks ignoring openstacksdk's own deprecation warnings, each only where this release
    defines it (RemovedInSDK60Warning came after 4.0): a filter naming a class the installed
    release lacks is an error, not a no-op."""
    import openstack.warnings as sdk_warnings

    names = ("RemovedInSDK50Warning", "RemovedInSDK60Warning", "OpenStackDeprecationWarning")
    return [
        pytest.mark.filterwarnings(f"ignore::openstack.warnings.{name}")
        for name in names
        if hasattr(sdk_warnings, name)
    ]
