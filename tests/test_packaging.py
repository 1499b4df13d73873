"""The wheel carries the code, both packages and every data file; installed, it runs on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from residency.sample import generate_estate

# What the demo must report: every case the default estate plants.
PLANTED = "planted cases found: {0}/{0}".format(len(generate_estate(7, 1.0).planted))

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("residency-*.whl")
    return built


def test_wheel_contains_code_collectors_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    regions = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "regions").rglob("*")
        if p.is_file() and p.suffix in {".yaml", ".parquet", ".csv", ".npz", ".json"}
    )
    assert regions, "no data files found under regions/"
    for data_file in regions:
        assert f"residency/{data_file}" in names, data_file
    assert "residency/cli.py" in names
    assert "residency/templates/report.md.j2" in names
    assert "residency_sample/__init__.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[residency.collectors]" in text and "sample = residency_sample:SampleCollector" in text
    assert "residency = residency.cli:main" in text


@pytest.mark.slow
def test_installed_wheel_runs_from_its_own_data(wheel: Path, tmp_path: Path) -> None:
    # A fresh environment that sees the test environment's dependencies but not this
    # checkout: the wheel's own data files must be what it reads.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Only now let it see the dependencies (installing first keeps pip from seeing the
    # test environment's own residency as already installed).
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import residency.data as d, residency; print(d.regions_path('areas')); print(residency.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    areas_dir, module = probe.stdout.split()
    assert Path(areas_dir).is_relative_to(site) and Path(module).is_relative_to(site)
    exe = env_dir / "bin" / "residency"
    locate = subprocess.run(
        [str(exe), "areas", "locate", "-21.1", "55.5", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert locate.returncode == 0, locate.stderr
    assert json.loads(locate.stdout)[0]["subdivision"] == "FR-RE"
    info = subprocess.run(
        [str(exe), "data", "info"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "RESIDENCY_DATA_DIR": str(tmp_path / "no-refresh")},
    )
    assert info.returncode == 0, info.stderr
    assert str(site / "residency" / "regions" / "ipdata") in " ".join(info.stdout.split())
    demo = subprocess.run(
        [str(exe), "demo", "--out", "d"], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert demo.returncode == 1, demo.stderr
    assert PLANTED in demo.stdout
