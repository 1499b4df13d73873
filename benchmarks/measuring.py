"""What the benchmarks share: running a variant alone under GNU time, and finding residency."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TIME = "/usr/bin/time"  # GNU time (``apt-get install time``)


def require_gnu_time() -> None:
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} not found: install GNU time (apt-get install -y time)")


def measure(
    command: Sequence[str], stdout: Path | None, stderr: Path, env: Mapping[str, str]
) -> dict[str, Any]:
    """Run ``command`` alone under GNU time: its wall time, CPU time and peak RSS.

    Not ``wait4`` on a direct child: a child forked (or vforked) from this process, which
    holds the whole cluster, is charged this process's RSS as its high-water mark at exec.
    GNU time forks the command from its own small process instead.
    """
    timing = stderr.with_suffix(".time")
    with (
        open(stdout if stdout is not None else os.devnull, "wb") as out,
        open(stderr, "wb") as err,
    ):
        t0 = time.perf_counter()
        returncode = subprocess.run(
            [TIME, "-q", "-f", "%e %M %U %S", "-o", str(timing), *command],
            stdout=out,
            stderr=err,
            env=dict(env),
            check=False,
        ).returncode
        wall = time.perf_counter() - t0
    elapsed, max_kib, user, system = timing.read_text(encoding="utf-8").split()[-4:]
    return {
        "wall_s": wall,
        "time_wall_s": float(elapsed),
        "peak_rss_mib": int(max_kib) / 1024.0,
        "cpu_s": float(user) + float(system),
        "returncode": returncode,
    }


def residency_command() -> list[str]:
    script = Path(sys.executable).parent / "residency"
    if script.exists():
        return [str(script)]
    found = shutil.which("residency")
    if found is None:
        raise SystemExit("residency: command not found (install the project into this venv)")
    return [found]
