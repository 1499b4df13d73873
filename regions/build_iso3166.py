"""Build ``regions/iso3166.csv`` (ISO 3166-1 alpha-2 and ISO 3166-2 codes, English names).

Source: Unicode CLDR 48 JSON as published on the npm registry (``cldr-core``,
``cldr-localenames-full``, ``cldr-subdivisions-full``, version 48.2.0), licensed under the
Unicode License v3 (permissive; https://www.unicode.org/license.txt)::

    python regions/build_iso3166.py              # runs `npm pack` for the three packages
    python regions/build_iso3166.py --cldr DIR   # DIR holds the unpacked packages

Rows (``code,name,kind``), sorted by kind then code:

* ``country``: every CLDR region code that is an assigned ISO 3166-1 alpha-2 code (it has an
  ISO 3166-1 numeric code in CLDR's codeMappings and is not in a user-assigned range), plus
  ``XK`` (Kosovo, user-assigned but used in practice). Dropped: CLDR macro-regions (001, 150,
  EU, EZ, UN, QO, ...), ``ZZ``, ``XA``/``XB`` pseudo-regions and the exceptionally reserved codes
  AC, CP, CQ, DG, EA, IC, TA.
* ``subdivision``: every ISO 3166-2 code in CLDR's subdivisionContainment, plus CLDR's
  "overlong" subdivision aliases with an alphabetic suffix (e.g. ``FR-RE``, ``FR-GP``), which
  ISO 3166-2 lists for areas that also have their own ISO 3166-1 code. CLDR ids such as
  ``fr974`` are written as ISO codes (``FR-974``). English names come from CLDR; a subdivision
  without one takes the name of the ISO 3166-1 area it is an alias of.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

CLDR_VERSION = "48.2.0"
PACKAGES = ("cldr-core", "cldr-localenames-full", "cldr-subdivisions-full")

# User-assigned ISO 3166-1 ranges: AA, QM-QZ, XA-XZ, ZZ.
USER_ASSIGNED = (
    {"AA", "ZZ"} | {f"Q{c}" for c in "MNOPQRSTUVWXYZ"} | {f"X{c}" for c in map(chr, range(65, 91))}
)
KEEP_USER_ASSIGNED = {"XK"}
# Exceptionally reserved ISO 3166-1 codes (some have an ISO numeric code in CLDR, e.g. EU).
RESERVED = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "FX", "IC", "TA", "UK", "UN"}

# CLDR 48 has no English name for these subdivision ids.
NAME_OVERRIDES = {"cnnm": "Nei Mongol"}  # ISO 3166-2 CN-NM (Inner Mongolia)


def fetch(dest: Path) -> Path:
    for name in PACKAGES:
        subprocess.run(
            ["npm", "pack", "--silent", f"{name}@{CLDR_VERSION}"],
            cwd=dest,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tgz = dest / f"{name}-{CLDR_VERSION}.tgz"
        with tarfile.open(tgz) as tar:
            tar.extractall(dest / name, filter="data")
    return dest


def load(root: Path, package: str, rel: str) -> Any:
    for candidate in (root / package / "package" / rel, root / package / rel):
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    raise FileNotFoundError(f"{package}/{rel} not found under {root}")


def iso_subdivision(cldr_id: str) -> str:
    return f"{cldr_id[:2].upper()}-{cldr_id[2:].upper()}"


def build(root: Path) -> list[tuple[str, str, str]]:
    territories = load(root, "cldr-localenames-full", "main/en/territories.json")
    territories = territories["main"]["en"]["localeDisplayNames"]["territories"]
    mappings = load(root, "cldr-core", "supplemental/codeMappings.json")
    mappings = mappings["supplemental"]["codeMappings"]
    containment = load(root, "cldr-core", "supplemental/subdivisionContainment.json")
    containment = containment["supplemental"]["subdivisionContainment"]
    aliases = load(root, "cldr-core", "supplemental/aliases.json")
    sub_aliases = aliases["supplemental"]["metadata"]["alias"]["subdivisionAlias"]
    names = load(root, "cldr-subdivisions-full", "subdivisions/en/en.json")
    names = names["subdivisions"]["localeDisplayNames"]["subdivisions"]

    rows: list[tuple[str, str, str]] = []
    countries: dict[str, str] = {}
    for code, name in territories.items():
        if len(code) != 2 or not code.isalpha():
            continue  # numeric macro-regions (001, 150, ...) and "-alt-" variants
        assigned = "_numeric" in mappings.get(code, {}) and code not in USER_ASSIGNED | RESERVED
        if assigned or code in KEEP_USER_ASSIGNED:
            countries[code] = name
    rows += [(code, name, "country") for code, name in countries.items()]

    subdivisions: set[str] = set()
    for entry in containment.values():
        subdivisions.update(entry["_contains"])
    for cldr_id, alias in sub_aliases.items():
        if alias["_reason"] == "overlong" and cldr_id[2:].isalpha():
            subdivisions.add(cldr_id)
    for cldr_id in subdivisions:
        name = names.get(cldr_id) or NAME_OVERRIDES.get(cldr_id)
        if name is None:
            target = sub_aliases.get(cldr_id, {}).get("_replacement", cldr_id[2:].upper())
            name = territories.get(target)
        if name is None:
            raise RuntimeError(f"no English name for subdivision {cldr_id}")
        rows.append((iso_subdivision(cldr_id), name, "subdivision"))

    order = {"country": 0, "subdivision": 1}
    rows.sort(key=lambda r: (order[r[2]], r[0]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cldr", type=Path, help="folder with the unpacked CLDR npm packages")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "iso3166.csv")
    args = parser.parse_args(argv)
    if args.cldr is not None:
        rows = build(args.cldr)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = build(fetch(Path(tmp)))
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "kind"])
        writer.writerows(rows)
    kinds = {k: sum(1 for r in rows if r[2] == k) for k in ("country", "subdivision")}
    print(f"wrote {args.out}: {kinds['country']} countries, {kinds['subdivision']} subdivisions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
