"""The store: manifest last, interrupted sweeps invisible, clear errors for bad stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pydantic import BaseModel

from residency.collect import Batch, CollectContext
from residency.config import Config, load_config
from residency.errors import StoreError
from residency.schema import TABLE_NAMES
from residency.store import MANIFEST, SweepWriter, list_sweeps, open_sweep
from residency.sweep import SweepOutcome, run_sweep
from residency_sample import SampleCollector, SampleOptions

from .conftest import write_config


def test_a_sweep_is_parquet_files_plus_a_manifest(sample_outcome: SweepOutcome) -> None:
    folder = Path(str(sample_outcome.folder))
    assert folder.name == f"sweep_id={sample_outcome.sweep_id}"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MANIFEST, *[f"{t}.parquet" for t in TABLE_NAMES]]
    )
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["format"] == "residency-sweep/1"
    assert manifest["tables"]["assets"]["rows"] > 1000
    assert len(manifest["tables"]["findings"]["sha256"]) == 64
    assert manifest["summary"]["complete"] is False
    assert manifest["exit_code"] == 1


def test_history_is_queryable_with_duckdb(
    sample_config: Config, sample_outcome: SweepOutcome
) -> None:
    store = sample_config.store_location()
    rows = duckdb.sql(
        f"select status, count(*) from read_parquet('{store}/*/findings.parquet') group by status order by status"
    ).fetchall()
    counts = dict(rows)
    assert counts["fail"] == sample_outcome.summary["findings"]["fail"]


class Boom(Exception):
    pass


class ExplodingCollector:
    """Yields a few real batches of the sample estate, then loses its API mid-sweep."""

    type_name = "exploding"
    Options = SampleOptions

    def __init__(self, source: str, options: BaseModel) -> None:
        self.inner = SampleCollector(source, SampleOptions(scale=0.2, chunk_rows=10))

    def collect(self, ctx: CollectContext) -> Iterator[Batch]:
        for i, batch in enumerate(self.inner.collect(ctx)):
            yield batch
            if i == 3:
                raise Boom("network went away")


def test_an_interrupted_sweep_leaves_no_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import residency.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "collector_types", lambda: {"exploding": ExplodingCollector})
    store = tmp_path / "store"
    config = Config.model_validate(
        {"sources": [{"name": "x", "type": "exploding"}], "store": str(store)}
    )
    with pytest.raises(Boom):
        run_sweep(config, "residency.yaml")
    assert list_sweeps(str(store)) == []
    assert list(store.glob("sweep_id=*")) == []


def test_a_folder_without_manifest_is_never_read_as_a_sweep(tmp_path: Path) -> None:
    writer = SweepWriter(str(tmp_path), "20260101T000000.000Z-dead")
    writer.close_tables()  # tables written, manifest never
    assert list_sweeps(str(tmp_path)) == []
    with pytest.raises(StoreError, match="no committed sweep"):
        open_sweep(str(tmp_path))


def test_store_on_a_file_is_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match=r"store .*file/store is not writable"):
        SweepWriter(str(blocker / "store"), "x")


def test_corrupt_parquet_is_one_clear_error(tmp_path: Path, estate) -> None:  # type: ignore[no-untyped-def]
    config = load_config(
        write_config(
            tmp_path,
            {
                **estate.config(store="store"),
                "sources": [{"name": "s", "type": "sample", "scale": 0.1}],
            },
        )
    )
    outcome = run_sweep(config, "residency.yaml")
    path = Path(str(outcome.folder)) / "findings.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(StoreError, match=r"findings\.parquet: cannot read table"):
        open_sweep(config.store_location()).table("findings")


def test_unreadable_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "sweep_id=x"
    folder.mkdir()
    (folder / MANIFEST).write_text("{not json")
    with pytest.raises(StoreError, match="unreadable manifest"):
        list_sweeps(str(tmp_path))


def test_sources_are_collected_concurrently_into_one_sweep(tmp_path: Path, estate) -> None:  # type: ignore[no-untyped-def]
    both = {"name": "all", "type": "sample", "scale": 0.3}
    split = [
        {"name": "clouds", "type": "sample", "scale": 0.3, "members": ["nordlys", "ovh-public"]},
        {"name": "cluster", "type": "sample", "scale": 0.3, "members": ["kube-prod"]},
    ]
    one = run_sweep(
        load_config(write_config(tmp_path / "a", {**estate.config(store="s"), "sources": [both]})),
        "r",
    )
    two = run_sweep(
        load_config(
            write_config(
                tmp_path / "b", {**estate.config(store="s"), "sources": split, "concurrency": 2}
            )
        ),
        "r",
    )
    assert one.summary["findings"] == two.summary["findings"]
    assert sorted(one.coverage["source"].unique()) == sorted(two.coverage["source"].unique())
