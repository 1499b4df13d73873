"""Reports: content of Markdown and JSON, and the HTML report rendered in a real headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from residency.report import group_findings, render
from residency.store import StoredSweep
from residency.sweep import summarise


def rendered(sweep: StoredSweep, fmt: str) -> str:
    findings = sweep.table("findings").to_pandas()
    coverage = sweep.table("coverage").to_pandas()
    return render(fmt, sweep.manifest, findings, summarise(findings, coverage))


def test_markdown_states_incompleteness_first_and_cites_rules(sample_sweep: StoredSweep) -> None:
    text = rendered(sample_sweep, "md")
    head = text.split("## Rules")[0]
    assert "VIOLATIONS" in head.splitlines()[0]
    assert "Incomplete sweep" in head and "secret_container" in head and "network_policy" in head
    assert "CADA-II-1.data-residency" in text and "CISPE-def-7" in text
    assert "Natural Earth" in text
    assert "IP Geolocation by DB-IP" in text  # CC BY 4.0 asks for it wherever the data shows
    assert rendered(sample_sweep, "html").count("IP Geolocation by DB-IP") == 1


def test_json_lists_every_non_pass_group(sample_sweep: StoredSweep) -> None:
    data = json.loads(rendered(sample_sweep, "json"))
    findings = sample_sweep.table("findings").to_pandas()
    for key, status in (("violations", "fail"), ("unknowns", "unknown"), ("exempted", "exempted")):
        assert sum(g["count"] for g in data[key]) == int((findings["status"] == status).sum())
    assert data["summary"]["complete"] is False


def test_groups_keep_examples_short() -> None:
    import pandas as pd

    findings = pd.DataFrame(
        {
            "status": ["fail"] * 7,
            "rule_id": "r",
            "source": "s",
            "subject_kind": "server",
            "evidence": "e",
            "subject_id": [f"id{i}" for i in range(7)],
            "subject_name": [f"vm-{i}" for i in range(7)],
            "message": "m",
        }
    )
    [group] = group_findings(findings, ("fail",))
    assert group["count"] == 7 and group["examples"] == ["vm-0", "vm-1", "vm-2", "vm-3", "vm-4"]


def chromium() -> str:
    exe = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if exe is None:
        if os.environ.get("RESIDENCY_REQUIRE_BROWSER"):
            pytest.fail(
                "Chromium is required here (RESIDENCY_REQUIRE_BROWSER is set) but not installed"
            )
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    return exe


BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_html_report_renders_in_headless_chromium(
    sample_sweep: StoredSweep, tmp_path: Path
) -> None:
    exe = chromium()
    page = tmp_path / "report.html"
    page.write_text(rendered(sample_sweep, "html"), encoding="utf-8")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run(
        [exe, *BROWSER_FLAGS, *profile, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert 'id="verdict">VIOLATIONS<' in dom
    assert 'id="incomplete"' in dom and 'id="violations"' in dom and 'id="unknowns"' in dom
    assert "bhs5-vm" in dom and "Beauharnois" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            exe,
            *BROWSER_FLAGS,
            *profile,
            f"--screenshot={shot}",
            "--window-size=1280,900",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (1280, 900)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
