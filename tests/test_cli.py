"""Every command, run as a user runs it: through CliRunner and through the installed script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from residency.cli import app
from residency.sample import generate_estate

# What the demo must report: every case the default estate plants.
PLANTED = "planted cases found: {0}/{0}".format(len(generate_estate(7, 1.0).planted))

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "residency-demo"
    code, stdout, _ = invoke("demo", "--out", str(out))
    assert code == 1, stdout  # planted violations
    assert PLANTED in stdout
    return out


def test_demo_writes_store_reports_and_config(demo_dir: Path) -> None:
    assert (demo_dir / "residency.yaml").is_file()
    assert "VIOLATIONS" in (demo_dir / "report.html").read_text()
    report = (demo_dir / "report.md").read_text()
    assert report.startswith("# residency report — VIOLATIONS")
    assert "Incomplete sweep" in report
    assert "bhs5-vm" in report and "CA (Beauharnois)" in report
    data = json.loads((demo_dir / "report.json").read_text())
    assert data["verdict"] == "VIOLATIONS"
    assert data["summary"]["findings"]["fail"] > 0
    assert {g["rule_id"] for g in data["violations"]} >= {
        "placement.data_plane",
        "control.operator",
    }
    assert len(list((demo_dir / "store").glob("sweep_id=*/manifest.json"))) == 1


def test_check_reevaluates_with_the_current_config(demo_dir: Path) -> None:
    config = demo_dir / "residency.yaml"
    code, stdout, _ = invoke("check", "--config", str(config))
    assert code == 1 and "VIOLATIONS" in stdout
    code, _, _ = invoke("check", "--config", str(config), "--fail-on", "never")
    assert code == 0
    # Widening the area to the EU, Canada and the US (where the sample's backups and ACME
    # flows go), dropping control, and exempting the mislabelled node leaves only unknowns:
    # the exit code says incomplete.
    data = yaml.safe_load(config.read_text())
    data |= {"area": "world-ish", "area_files": ["world.yaml"], "requirements": ["location"]}
    data["exemptions"].append(
        {
            "rule": "lineage.*",
            "subject": "kube-prod/node/*",
            "reason": "relabelling planned",
            "owner": "platform@example.eu",
            "expires": "2999-01-01",
        }
    )
    (demo_dir / "world.yaml").write_text(
        "areas:\n  - name: world-ish\n    title: EU, Canada, US\n    include: [eu, CA, US]\n"
    )
    wider = demo_dir / "wider.yaml"
    wider.write_text(yaml.safe_dump(data))
    code, stdout, _ = invoke("check", "--config", str(wider))
    assert code == 3, stdout
    assert "INCOMPLETE" in stdout


def test_report_formats(demo_dir: Path, tmp_path: Path) -> None:
    code, stdout, _ = invoke("report", "--store", str(demo_dir / "store"), "--format", "json")
    assert code == 0
    assert json.loads(stdout)["area"] == "eu"
    code, _, _ = invoke(
        "report",
        "--config",
        str(demo_dir / "residency.yaml"),
        "-f",
        "md",
        "--out",
        str(tmp_path / "r.md"),
    )
    assert code == 0
    assert (tmp_path / "r.md").read_text().startswith("# residency report")


def test_history_lists_sweeps(demo_dir: Path) -> None:
    code, stdout, _ = invoke("history", "--store", str(demo_dir / "store"))
    assert code == 0
    assert "VIOLATIONS" in stdout


def test_sweep_command(tmp_path: Path) -> None:
    config = tmp_path / "residency.yaml"
    config.write_text(
        "area: eea\nstore: st\nsources: [{name: s, type: sample, scale: 0.1}]\n"
        "sites: [{source: nordlys, region: fra1, country: DE, operator: N, operator_jurisdiction: DE},"
        " {source: nordlys, region: ams1, country: NL, operator: N, operator_jurisdiction: NL}]\n"
    )
    code, stdout, _ = invoke("sweep", "--config", str(config))
    assert code == 1
    assert "placement.data_plane" in stdout and "stored in" in stdout
    assert len(list((tmp_path / "st").glob("sweep_id=*/manifest.json"))) == 1


def test_areas_list_and_show() -> None:
    code, stdout, _ = invoke("areas", "list")
    assert code == 0
    assert "eu-efta" in stdout and "eea" in stdout
    code, stdout, _ = invoke("areas", "show", "eu", "--json")
    data = json.loads(stdout)
    assert data["name"] == "eu" and "MF" in data["codes"] and "GL" not in data["codes"]
    assert data["exclude"] == ["FR-CP", "NL-BQ1", "NL-BQ2", "NL-BQ3"]


def test_areas_locate_one_point_with_negative_coordinates() -> None:
    code, stdout, _ = invoke("areas", "locate", "-20.88", "55.45", "--json")
    assert code == 0, stdout
    [point] = json.loads(stdout)
    assert point == {
        "lat": -20.88,
        "lon": 55.45,
        "country": "FR",
        "subdivision": "FR-RE",
        "area": "eu",
        "inside": True,
    }


def test_areas_locate_points_file_keeps_order_and_columns(tmp_path: Path) -> None:
    points = tmp_path / "points.csv"
    points.write_text(
        "name,lat,lon\nnuuk,64.18,-51.72\nparis,48.85,2.35\nsea,45.0,-30.0\nzurich,47.37,8.54\n"
    )
    code, stdout, _ = invoke("areas", "locate", "--points", str(points), "--area", "eu", "--json")
    assert code == 0
    rows = json.loads(stdout)
    assert [r["name"] for r in rows] == ["nuuk", "paris", "sea", "zurich"]
    assert [r["country"] for r in rows] == ["GL", "FR", None, "CH"]
    assert [r["inside"] for r in rows] == [False, True, False, False]
    code, stdout, _ = invoke("areas", "locate", "--points", str(points), "--area", "eu-efta")
    assert code == 0 and "zurich" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["areas", "locate", "91", "10"], "coordinates out of range"),
        (["areas", "locate", "north", "10"], "must be numbers"),
        (["areas", "locate", "10"], "expected LAT LON"),
        (["areas", "locate", "1", "2", "--area", "atlantis"], "unknown area 'atlantis'"),
        (["areas", "show", "atlantis"], "unknown area 'atlantis'"),
        (["sweep", "--config", "/nonexistent/residency.yaml"], "configuration file not found"),
        (["report", "--store", "/nonexistent/store"], "no committed sweep"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(args: list[str], message: str) -> None:
    code, stdout, stderr = invoke(*args)
    assert code == 2
    assert message in stderr
    assert "Traceback" not in stderr + stdout
    assert len(stderr.strip().splitlines()) == 1


def test_points_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon\n10,20\nabc,20\n")
    code, _, stderr = invoke("areas", "locate", "--points", str(bad))
    assert code == 2 and "bad.csv:3: lat 'abc' is not a number" in stderr
    bad.write_text("latitude,lon\n10,20\n")
    code, _, stderr = invoke("areas", "locate", "--points", str(bad))
    assert code == 2 and "missing column(s) lat" in stderr
    bad.write_text("lat,lon\n10,20\n10,200\n")
    code, _, stderr = invoke("areas", "locate", "--points", str(bad))
    assert code == 2 and "bad.csv:3: coordinates out of range" in stderr


def test_malformed_config_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "residency.yaml"
    config.write_text("store: st\nsources:\n  - name: s\n    type: sample\n    scale: lots\n")
    code, _, stderr = invoke("sweep", "--config", str(config))
    assert code == 2
    assert "residency.yaml:5: sources[0].scale: Input should be a valid number" in stderr
    assert not (tmp_path / "st").exists()


def test_unknown_area_in_config_fails_before_collecting(tmp_path: Path) -> None:
    config = tmp_path / "residency.yaml"
    config.write_text("area: atlantis\nstore: st\nsources: [{name: s, type: sample}]\n")
    code, _, stderr = invoke("sweep", "--config", str(config))
    assert code == 2 and "unknown area 'atlantis'" in stderr
    assert not (tmp_path / "st").exists()


def test_help_reads_like_a_manual() -> None:
    code, stdout, _ = invoke("--help")
    assert code == 0
    for command in ("demo", "sweep", "check", "report", "areas", "history"):
        assert command in stdout
    assert "Exit codes" in stdout


def installed() -> str:
    # The script sits beside the interpreter running the tests, activated or not.
    beside = Path(sys.executable).parent / "residency"
    exe = str(beside) if beside.is_file() else shutil.which("residency")
    assert exe is not None, "the residency script is not installed in this environment"
    return exe


@pytest.fixture(scope="module")
def installed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("installed") / "demo"
    demo = subprocess.run(
        [installed(), "demo", "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 1, demo.stderr
    assert PLANTED in demo.stdout
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--version"], 0, "residency 0.1.0"),
        (["check", "--config", "{demo}/residency.yaml"], 1, "VIOLATIONS"),
        (["report", "--store", "{demo}/store", "--format", "md"], 0, "# residency report"),
        (["report", "--store", "{demo}/store", "--format", "html"], 0, "<!doctype html>"),
        (["history", "--store", "{demo}/store"], 0, "VIOLATIONS"),
        (["areas", "list"], 0, "eu-efta"),
        (["areas", "show", "eea"], 0, "IS"),
        (["areas", "locate", "64.18", "-51.72", "--json"], 0, '"inside":false'),
        # The demo's endpoints are gone once it exits: sweeping its config again reaches
        # neither the clouds nor the cluster, which is incomplete, never a pass; the private
        # cloud's configuration files are still read, and what they prove is a violation.
        (["sweep", "--config", "{demo}/residency.yaml"], 1, "incomplete: nordlys"),
        (["sweep", "--config", "{demo}/missing.yaml"], 2, "not found"),
    ],
)
def test_installed_script_runs_every_command(
    installed_demo: Path, args: list[str], code: int, expected: str
) -> None:
    argv = [a.replace("{demo}", str(installed_demo)) for a in args]
    result = subprocess.run([installed(), *argv], capture_output=True, text=True, timeout=300)
    assert result.returncode == code, result.stderr
    assert expected in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if code == 2:
        assert len(result.stderr.strip().splitlines()) == 1


def test_corrupt_parquet_in_the_store_is_one_line_exit_2(demo_dir: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo_dir / "store", store)
    [findings] = store.glob("sweep_id=*/findings.parquet")
    findings.write_bytes(b"PAR1 truncated")
    code, stdout, stderr = invoke("report", "--store", str(store), "--format", "json")
    assert code == 2
    assert "findings.parquet: cannot read table" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert stdout == ""


# -- internal errors -------------------------------------------------------------------------

BOOM_COLLECTOR = '''
"""A collector that yields one good batch, then fails the way a bug would."""
import time

from pydantic import BaseModel

from residency.collect import coverage_batch, coverage_row


class Options(BaseModel):
    url: str = ""


class BoomCollector:
    Options = Options

    def __init__(self, source, options):
        self.source, self.options = source, options

    def collect(self, ctx):
        row = coverage_row("pod", "ok", 0, time.perf_counter())
        yield coverage_batch([row], source=self.source, observed_at=ctx.observed_at)
        raise RuntimeError(f"injected failure talking to {self.options.url}")
'''


def _boom_plugin(folder: Path) -> Path:
    """An installed-looking collector plugin (a module and its dist-info entry point) on a
    folder that PYTHONPATH will name: the real plugin mechanism, not a patch."""
    folder.mkdir()
    (folder / "boom_collector.py").write_text(BOOM_COLLECTOR, encoding="utf-8")
    info = folder / "boom_collector-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: boom-collector\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[residency.collectors]\nboom = boom_collector:BoomCollector\n", encoding="utf-8"
    )
    return folder


def test_an_unforeseen_collector_failure_is_exit_4_with_one_line_and_no_sweep(
    tmp_path: Path,
) -> None:
    plugin = _boom_plugin(tmp_path / "plugin")
    errors = tmp_path / "errors"
    config = tmp_path / "residency.yaml"
    config.write_text(
        "area: eu\nstore: store\nsources:\n  - name: cluster\n    type: boom\n"
        "    url: https://admin:Sw0rdfish@api.example.eu:6443/x?token=abc\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugin), os.environ.get("PYTHONPATH", "")]),
        "RESIDENCY_ERROR_DIR": str(errors),
    }
    result = subprocess.run(
        [installed(), "sweep", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("internal error: RuntimeError: injected failure"), lines
    assert "Traceback" not in result.stderr + result.stdout
    [written] = errors.glob("residency-internal-error-*.txt")
    assert f"(details in {written})" in lines[0]
    details = written.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in details
    assert "boom_collector.py" in details
    # the source's URL credentials reach neither the terminal nor the file
    for secret in ("Sw0rdfish", "token=abc", "admin:"):
        assert secret not in result.stderr + details
    assert "https://api.example.eu:6443" in lines[0]
    # nothing was committed: no manifest, and history lists no sweep
    assert not list((tmp_path / "store").glob("**/manifest.json"))
    history = subprocess.run(
        [installed(), "history", "--store", str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert history.returncode == 0, history.stderr
    assert "sweep_id" not in history.stdout and "2026" not in history.stdout
