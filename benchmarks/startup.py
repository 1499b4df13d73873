"""How fast ``residency --version`` and ``--help`` answer, beside what else a user runs.

Side by side, in one run, each command several times (the median is printed):

- ``python -c pass``: the interpreter's own floor;
- ``residency --version``, ``residency --help``, ``residency sweep --help``;
- what start-up cost before the CLI imported lazily: the interpreter importing every module
  a command needs (``residency.sweep``, ``residency.report``, the collectors);
- ``kubectl version --client`` and ``openstack --version`` (from ``.venv-openstack``), the
  clients a user would otherwise start, where they are installed.

    python benchmarks/startup.py [--runs 7]

The issue's target is under 0.3 s for ``--version`` and ``--help`` on the 2-core machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from measuring import residency_command

ROOT = Path(__file__).resolve().parents[1]
EAGER = (
    "import residency.cli, residency.sweep, residency.report, residency.store, "
    "residency.config, residency_kubernetes, residency_openstack"
)


def timed(command: list[str], runs: int) -> float:
    """Median wall time of ``command`` over ``runs`` runs (one untimed warm-up first)."""
    subprocess.run(command, capture_output=True, check=False)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} exited {done.returncode}: {done.stderr[-300:]!r}"
            )
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    residency = residency_command()
    rows: list[tuple[str, list[str]]] = [
        ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
        ("residency --version", [*residency, "--version"]),
        ("residency --help", [*residency, "--help"]),
        ("residency sweep --help", [*residency, "sweep", "--help"]),
        ("import every command's modules (eager start-up)", [sys.executable, "-c", EAGER]),
    ]
    kubectl = shutil.which("kubectl")
    if kubectl:
        rows.append(("kubectl version --client", [kubectl, "version", "--client"]))
    openstack = ROOT / ".venv-openstack" / "bin" / "openstack"
    if openstack.exists():
        rows.append(("openstack --version", [str(openstack), "--version"]))
    results = [(label, timed(command, args.runs)) for label, command in rows]
    version = dict(results)["residency --version"]
    print(f"{'command':<50} {'median s':>9} {'× --version':>12}")
    for label, seconds in results:
        print(f"{label:<50} {seconds:>9.3f} {seconds / version:>12.2f}")
    worst = max(seconds for label, seconds in results if label.startswith("residency"))
    print(f"slowest residency start-up: {worst:.3f} s (target < 0.3 s)")


if __name__ == "__main__":
    main()
