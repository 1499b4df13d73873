"""IP address → country and autonomous system, from openly licensed range data.

The data are DB-IP Lite *IP to Country* (CC BY 4.0, "IP Geolocation by DB-IP") and the
``@ip-location-db/asn`` table (CC BY 4.0: RouteViews, the NRO's RIR statistics and DB-IP IP to
ASN Lite), as CSVs of inclusive address ranges. :func:`build` turns them into one compact file of
sorted range starts per address family (``ipdata.npz``, beside an ``ipdata.json`` naming the
sources); :func:`lookup` resolves many addresses at once with ``numpy.searchsorted``.

The range table is *gap-filled*: its intervals cover the whole address space, one after the
other, and an interval no source covers (or a reserved block, see :data:`RESERVED_V4` and
:data:`RESERVED_V6`) carries the value 0, "no data". The interval an address falls in is
therefore always the one whose start is the last start ≤ the address: the end bound of every
source range is encoded by the start of the interval after it. For IPv4 a table of that
search's answer for each /20 (4 MB, built at load) spares searching all addresses but those in
a /20 where an interval starts.

The strings are read once, into one byte buffer (a ``"\n".join`` of a list, or the buffers of
an Arrow-backed pandas ``str`` Series as they are), and parsed there with no Python loop per
address: IPv4 dotted quads on a byte matrix of each string's first 16 bytes, IPv6 text of hex
digits and colons (with or without ``::``) on one of its first 40 bytes, accepting what
:func:`socket.inet_pton` accepts. Only the rare rest (an embedded IPv4 address, a zone index,
input that is not all ``str``) goes to ``inet_pton`` one by one. IPv4-mapped IPv6 addresses
(``::ffff:a.b.c.d``) resolve as their IPv4 address. Strings that are not an address resolve
to nothing (``None``), without raising.

Where the data come from: the packaged ``regions/ipdata`` unless a refreshed copy exists in the
user data folder (:func:`user_data_dir`, written by ``residency data refresh``).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from residency.data import regions_path
from residency.errors import DataError

__all__ = [
    "ATTRIBUTION",
    "RESERVED_V4",
    "RESERVED_V6",
    "SOURCE_FILES",
    "IpData",
    "build",
    "clear_cache",
    "fetch",
    "load",
    "lookup",
    "parse_ipv4",
    "parse_ipv6",
    "user_data_dir",
]

FORMAT: Final = 1
DATA_FILE: Final = "ipdata.npz"
META_FILE: Final = "ipdata.json"
ATTRIBUTION: Final = (
    "IP Geolocation by DB-IP (https://db-ip.com, CC BY 4.0); "
    "AS numbers and names: RouteViews (routeviews.org), NRO (nro.net) and DB-IP, CC BY 4.0, "
    "via ip-location-db"
)
# (family, kind) → CSV file name, as published in the npm packages.
SOURCE_FILES: Final = {
    ("ipv4", "country"): "dbip-country-ipv4.csv",
    ("ipv6", "country"): "dbip-country-ipv6.csv",
    ("ipv4", "asn"): "asn-ipv4.csv",
    ("ipv6", "asn"): "asn-ipv6.csv",
}
# The packages the packaged tables were built from (``npm pack NAME@VERSION``).
PACKAGES: Final = {
    "@ip-location-db/dbip-country": "2.3.2026060120",
    "@ip-location-db/asn": "2.3.2026061719",
}
COLUMNS: Final = {"country": ["start", "end", "country"], "asn": ["start", "end", "asn", "org"]}

# Special-purpose blocks (IANA registries, RFC 6890 and successors) that are no place on the
# map: private, shared, loopback, link-local, documentation, benchmarking, multicast, reserved.
RESERVED_V4: Final = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
# Everything outside global unicast 2000::/3 (which takes in ::1, ::ffff:0:0/96, 64:ff9b::/96,
# fc00::/7, fe80::/10, ff00::/8), and the documentation blocks inside it.
RESERVED_V6: Final = ("::/3", "4000::/2", "8000::/1", "2001:db8::/32", "3fff::/20")

CHUNK: Final = 1 << 20
_WIDTH: Final = 16  # "255.255.255.255" is 15 characters; an IPv6 address has ":" in its first 5
_BUCKET_SHIFT: Final = 12  # the IPv4 bucket table has one entry per /20
_V6_WIDTH: Final = 40  # the longest IPv6 text of hex digits and colons is 8 × 4 + 7 = 39
_HEX_VALUE: Final = np.full(256, 16, dtype=np.uint8)  # byte → its hex digit's value, else 16
_HEX_VALUE[np.frombuffer(b"0123456789abcdefABCDEF", np.uint8)] = [*range(16), *range(10, 16)]
_MAPPED_PREFIX: Final = bytes(10) + b"\xff\xff"
_PACKAGE_VERSION = re.compile(r"\.(\d{4})(\d{2})(\d{2})\d{2}$")

U8 = npt.NDArray[np.uint8]
U32 = npt.NDArray[np.uint32]
Bools = npt.NDArray[np.bool_]
Keys = npt.NDArray[Any]  # uint64 (IPv4, widened so that "end + 1" fits) or S16 (IPv6)


# --------------------------------------------------------------------------- parsing


def _quad_tables() -> tuple[U8, npt.NDArray[np.uint64], npt.NDArray[np.intp], npt.NDArray[Any]]:
    """The 81 shapes of a dotted quad (each field 1 to 3 digits), indexed 1..81.

    * by the bit mask of digit positions → shape id (0: no dotted quad has these digits);
    * per shape, the 16 bytes the row must match once each digit is replaced by 1;
    * per shape, the byte positions of each field's units, tens and hundreds (15, always
      padding, where the field is shorter);
    * per shape and field, the smallest value without a leading zero (0, 10 or 100).

    Every table is read with ``np.take`` on a shape column, never with fancy indexing of a 2-D
    table: a row gather ``table[shape]`` is ten times slower than a ``take`` on each column.
    """
    shape_of_digits = np.zeros(1 << _WIDTH, dtype=np.uint8)
    expected = np.zeros((82, _WIDTH), dtype=np.uint8)
    positions = np.full((82, 12), _WIDTH - 1, dtype=np.intp)
    least = np.zeros((82, 4), dtype=np.uint16)
    for shape, lengths in enumerate(itertools.product((1, 2, 3), repeat=4), start=1):
        at = digits = 0
        for field, length in enumerate(lengths):
            digits |= ((1 << length) - 1) << at
            expected[shape, at : at + length] = 1
            positions[shape, 3 * field : 3 * field + length] = range(at + length - 1, at - 1, -1)
            least[shape, field] = (0, 10, 100)[length - 1]
            at += length
            if field < 3:
                expected[shape, at] = ord(".")
                at += 1
        shape_of_digits[digits] = shape
    return shape_of_digits, expected.view("<u8"), positions, least


_SHAPE_OF_DIGITS, _EXPECTED, _POSITIONS, _LEAST = _quad_tables()
# Transposed, so that each gather and each check reads one contiguous column of a table.
_EXPECTED_BY_WORD: Final = np.ascontiguousarray(_EXPECTED.T)
_POSITIONS_BY_DIGIT: Final = np.ascontiguousarray(_POSITIONS.T)
_LEAST_BY_FIELD: Final = np.ascontiguousarray(_LEAST.T)
_BITS: Final = np.uint64(0x0102040810204080)  # gathers the low bit of 8 bytes into one byte


def _bitmask(flags: Bools) -> npt.NDArray[np.uint64]:
    """``(n, 8k)`` booleans, k ≤ 8 → one integer per row with bit i set where column i is true."""
    words = flags.view("<u8")
    mask = (words[:, 0] * _BITS) >> np.uint64(56)
    for i in range(1, words.shape[1]):
        mask |= ((words[:, i] * _BITS) >> np.uint64(56)) << np.uint64(8 * i)
    return mask


@functools.cache
def _length_masks(width: int) -> npt.NDArray[np.uint64]:
    """Per word of a ``width``-byte row and per string length 0..width: the bytes to keep."""
    keep = np.arange(width) < np.arange(width + 1)[:, None]
    return np.ascontiguousarray(np.where(keep, 0xFF, 0).astype(np.uint8).view("<u8").T)


@dataclass(frozen=True)
class _Text:
    """Strings as (start, length) in one byte buffer, followed by at least 64 zero bytes."""

    buffer: U8
    starts: npt.NDArray[np.intp]
    lengths: npt.NDArray[np.intp]

    @staticmethod
    def of(data: U8, starts: npt.NDArray[np.intp], lengths: npt.NDArray[np.intp]) -> _Text:
        return _Text(np.concatenate([data, np.zeros(64, dtype=np.uint8)]), starts, lengths)

    def rows(self, width: int, which: npt.NDArray[np.intp] | None = None) -> U8:
        """The first ``width`` bytes of each string (of the rows ``which``), zero-padded."""
        starts = self.starts if which is None else self.starts[which]
        lengths = self.lengths if which is None else self.lengths[which]
        rows = np.lib.stride_tricks.sliding_window_view(self.buffer, width)[starts]
        words = rows.view("<u8")  # each row's bytes past its string's end are cleared
        keep = np.minimum(lengths, width)
        for i, masks in enumerate(_length_masks(width)):
            words[:, i] &= np.take(masks, keep)
        return rows


def _joined_text(values: Sequence[Any] | npt.NDArray[Any]) -> _Text | None:
    """One ``"\n".join`` of the strings: reads each string once, and fast."""
    try:
        joined = "\n".join(values).encode("ascii", "replace")  # one "?" per non-ASCII character
    except TypeError:  # not all str
        return None
    buffer = np.frombuffer(joined, dtype=np.uint8)
    ends = np.flatnonzero(buffer == ord("\n"))
    if len(ends) != len(values) - 1:  # a string holds a newline itself
        return None
    starts = np.concatenate([[0], ends + 1]).astype(np.intp)
    lengths = np.concatenate([ends, [len(buffer)]]).astype(np.intp) - starts
    return _Text.of(buffer, starts, lengths)


def _fixed_matrix(values: Sequence[Any] | npt.NDArray[Any]) -> U8:
    """The first 16 bytes of each value that is ASCII text, else nothing, as ``(n, 16)``."""
    try:
        fixed = np.asarray(values, dtype=f"S{_WIDTH}")
    except (UnicodeEncodeError, ValueError, TypeError):
        # Odd objects among the strings are no address; only this rare path loops.
        fixed = np.array(
            [v if isinstance(v, str | bytes) and v.isascii() else b"" for v in values],
            dtype=f"S{_WIDTH}",
        )
    return fixed.view(np.uint8).reshape(len(values), _WIDTH)


def _byte_matrix(values: Sequence[Any] | npt.NDArray[Any]) -> U8:
    """The first 16 ASCII bytes of each value, zero-padded, as an ``(n, 16)`` matrix."""
    if len(values) == 0:
        return np.zeros((0, _WIDTH), dtype=np.uint8)
    text = _joined_text(values)
    return _fixed_matrix(values) if text is None else text.rows(_WIDTH)


def _parse_ipv4_matrix(m: U8) -> tuple[U32, Bools]:
    """Dotted quads in an ``(n, 16)`` zero-padded byte matrix → uint32 and validity.

    No loop per address: a row's digit positions pick one of the 81 shapes of a dotted quad,
    the row must match that shape byte for byte (dots where the dots go, padding after), and
    each field's digits are gathered from their known positions. Strict like ``ipaddress``:
    no leading zeros, no spaces, fields 0..255.
    """
    n = len(m)
    digit = m - np.uint8(48)  # wraps for bytes below "0"
    isdig = digit < 10
    isdig_u8 = isdig.view(np.uint8)
    # the mask is below 2**16: viewed as intp (no copy) it indexes on every numpy 2 release
    shape = np.take(_SHAPE_OF_DIGITS, _bitmask(isdig).view(np.intp))
    seen = (m - isdig_u8 * (m - np.uint8(1))).view("<u8")  # each digit becomes 1
    ok = shape > 0
    ok &= seen[:, 0] == np.take(_EXPECTED_BY_WORD[0], shape)
    ok &= seen[:, 1] == np.take(_EXPECTED_BY_WORD[1], shape)
    digit *= isdig_u8  # padding (and anything else) counts 0
    flat, rows = digit.ravel(), np.arange(0, _WIDTH * n, _WIDTH, dtype=np.intp)
    address = np.zeros(n, dtype=np.uint32)
    wide = np.zeros(n, dtype=np.uint16)  # the fields OR-ed: above 255 iff one field is
    for field in range(4):
        units, tens, hundreds = (
            np.take(flat, np.take(_POSITIONS_BY_DIGIT[3 * field + i], shape) + rows)
            for i in range(3)
        )
        octet = hundreds.astype(np.uint16) * np.uint16(100)
        octet += tens * np.uint8(10)
        octet += units
        ok &= octet >= np.take(_LEAST_BY_FIELD[field], shape)  # no leading zero
        wide |= octet
        address <<= np.uint32(8)
        address |= octet
    ok &= wide <= 255
    address *= ok
    return address, ok


def parse_ipv4(values: Iterable[Any]) -> tuple[U32, Bools]:
    """Dotted-quad strings → (uint32 addresses, valid); invalid entries are 0 and False."""
    return _parse_ipv4_matrix(
        _byte_matrix(values if isinstance(values, np.ndarray) else list(values))
    )


def _pton6(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return socket.inet_pton(socket.AF_INET6, value.split("%", 1)[0])
    except (OSError, ValueError):
        return None


def _pton_all(values: Sequence[Any] | npt.NDArray[Any]) -> tuple[npt.NDArray[np.bytes_], Bools]:
    """IPv6 strings → keys and validity, one ``inet_pton`` per value."""
    try:  # all well-formed: no Python-level loop body
        packed = b"".join(map(socket.inet_pton, itertools.repeat(socket.AF_INET6), values))
        return np.frombuffer(packed, dtype="S16"), np.ones(len(values), dtype=bool)
    except (OSError, ValueError, TypeError):
        pass
    each = [_pton6(value) for value in values]
    ok = np.array([p is not None for p in each], dtype=bool)
    packed = b"".join(p or bytes(16) for p in each)
    return np.frombuffer(packed, dtype="S16") if each else np.empty(0, "S16"), ok


def _parse_ipv6_matrix(
    m: U8, lengths: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.bytes_], Bools, Bools]:
    """IPv6 text in a ``(k, 40)`` zero-padded byte matrix → (S16 keys, valid, plain).

    Reads the *plain* rows, those of hex digits and colons only (at most 39 characters), and
    accepts exactly what ``inet_pton`` accepts of them: groups of 1 to 4 hex digits, eight of
    them, or at most seven and one ``::`` that stands for the missing ones. The other rows
    (an embedded IPv4 address, a zone index, any other character) are left to ``inet_pton``.
    No loop per address: each row's hex digits and colons become two bit masks, the groups
    are found from those, and group q of every row is read in one step (q = 0..7).
    """
    one = np.uint64(1)
    value = np.take(_HEX_VALUE, m)  # 16 for anything that is not a hex digit
    hexes = _bitmask(value < 16)
    colons = _bitmask(m == ord(":"))
    size = np.minimum(lengths, 63).astype(np.uint64)
    plain = (lengths < _V6_WIDTH) & ((hexes | colons) == (one << size) - one)
    first = hexes & ~(hexes << one)  # the first digit of each group
    last = hexes & ~(hexes >> one)  # the last digit of each group
    double = colons & (colons >> one)  # bit i: "::" at i
    groups = np.bitwise_count(first)
    doubles = np.bitwise_count(double)
    run = hexes
    for shift in range(1, 5):
        run = run & (hexes >> np.uint64(shift))  # bit i: 5 hex digits from i on
    end = np.maximum(size, np.uint64(2)) - one
    ok = plain & (size >= 2) & (run == 0)
    ok &= (colons & np.uint64(3)) != one  # no lone ":" first …
    ok &= ((colons >> (end - one)) & np.uint64(3)) != np.uint64(2)  # … or last
    ok &= np.where(doubles == 0, groups == 8, (doubles == 1) & (groups <= 7))

    rows = np.flatnonzero(ok)
    first, last, double, groups = first[rows], last[rows], double[rows], groups[rows]
    lowest_double = double & (~double + one)
    before = np.where(double != 0, np.bitwise_count(first & (lowest_double - one)), groups)
    skip = np.uint8(8) - groups  # the groups "::" stands for
    flat, base = value.ravel(), rows * _V6_WIDTH
    words = np.zeros(8 * len(rows), dtype=">u2")
    at = np.arange(0, 8 * len(rows), 8)
    for q in range(8):
        present = np.flatnonzero(first != 0)
        start, stop = first[present], last[present]
        start_bit, stop_bit = start & (~start + one), stop & (~stop + one)
        first[present], last[present] = start ^ start_bit, stop ^ stop_bit
        lead = np.bitwise_count(start_bit - one).astype(np.intp)
        units = np.bitwise_count(stop_bit - one).astype(np.intp) + base[present]
        group = np.take(flat, units).astype(np.uint16)
        lead += base[present]
        for digit in (1, 2, 3):
            more = units - digit >= lead
            group |= (np.take(flat, units - digit) << np.uint16(4 * digit)) * more
        slot = np.where(q < before[present], q, q + skip[present])
        words[at[present] + slot] = group
    keys = np.zeros(len(m), dtype="S16")
    keys[rows] = words.view("S16")
    return keys, ok, plain


def parse_ipv6(values: Sequence[Any] | npt.NDArray[Any]) -> tuple[npt.NDArray[np.bytes_], Bools]:
    """IPv6 strings → (16-byte big-endian ``S16`` keys, valid).

    Plain text (hex digits and colons) is parsed in bulk, as :func:`inet_pton` would; the rest
    (embedded IPv4, zone index, non-strings) by ``inet_pton`` one by one. A zone index
    (``fe80::1%eth0``) is ignored.
    """
    text = _joined_text(values) if len(values) else None
    if text is None:
        return _pton_all(values)
    return _parse_ipv6_text(text, np.arange(len(values)), values)


def _parse_ipv6_text(
    text: _Text, rows: npt.NDArray[np.intp], values: Sequence[Any] | npt.NDArray[Any] | pa.Array
) -> tuple[npt.NDArray[np.bytes_], Bools]:
    """IPv6 keys of the strings ``rows`` of ``text``; ``values`` are the same strings."""
    keys, ok, plain = _parse_ipv6_matrix(text.rows(_V6_WIDTH, rows), text.lengths[rows])
    other = np.flatnonzero(~plain)
    if other.size:
        keys[other], ok[other] = _pton_all(_pick(values, rows[other]))
    return keys, ok


def _pick(
    values: Sequence[Any] | npt.NDArray[Any] | pa.Array, rows: npt.NDArray[np.intp]
) -> list[Any] | npt.NDArray[Any]:
    if isinstance(values, pa.Array):
        return list(values.take(pa.array(rows)).to_pylist())
    if isinstance(values, np.ndarray):
        return values[rows]
    return list(map(values.__getitem__, rows.tolist()))


def _increment_v6(keys: npt.NDArray[np.bytes_]) -> tuple[npt.NDArray[np.bytes_], Bools]:
    """``key + 1`` for 128-bit big-endian keys, and which did not overflow."""
    halves = np.frombuffer(np.ascontiguousarray(keys).tobytes(), dtype=">u8").reshape(-1, 2)
    hi = halves[:, 0].astype(np.uint64)
    lo = halves[:, 1].astype(np.uint64)
    carry = lo == np.uint64(2**64 - 1)
    fits = ~(carry & (hi == np.uint64(2**64 - 1)))
    out = np.empty((len(keys), 2), dtype=">u8")
    out[:, 0] = hi + carry.astype(np.uint64)
    out[:, 1] = lo + np.uint64(1)  # wraps to 0 on carry
    return np.frombuffer(out.tobytes(), dtype="S16"), fits


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class _Ranges:
    """Inclusive ranges [starts, ends] of one source, sorted by start, with an int value.

    Where a range overlaps the one before it, the later range wins for its extent.
    """

    starts: Keys
    ends: Keys
    values: npt.NDArray[np.uint32]


@dataclass(frozen=True)
class _Csv:
    """One source CSV: its rows, and how errors name it."""

    label: str  # the path, or "TARBALL: MEMBER" for a file read from an npm tarball
    frame: pd.DataFrame

    def error(self, bad: Bools, what: str) -> DataError:
        row = int(bad.argmax())
        line = ",".join(self.frame.iloc[row].astype(str))
        return DataError(f"{self.label}: line {row + 1}: {what}: {line!r}")

    def check(self, column: str, pattern: str, what: str) -> None:
        bad = ~self.frame[column].str.fullmatch(pattern).to_numpy(dtype=bool)
        if bad.any():
            raise self.error(bad, what)

    def keys(self, column: str, family: str) -> Keys:
        values = self.frame[column].to_numpy(dtype=object)
        if family == "ipv4":
            parsed, ok = parse_ipv4(values)
            keys: Keys = parsed.astype(np.uint64)
        else:
            keys, ok = parse_ipv6(values)
        if not ok.all():
            raise self.error(~ok, f"bad {family} address in {column}")
        return keys

    def ranges(self, family: str, values: npt.NDArray[np.uint32]) -> _Ranges:
        starts, ends = self.keys("start", family), self.keys("end", family)
        if (starts > ends).any():
            raise self.error(starts > ends, "range start after its end")
        unsorted = np.zeros(len(starts), dtype=bool)
        unsorted[1:] = (starts[1:] <= starts[:-1]) | (ends[1:] <= ends[:-1])
        if unsorted.any():
            raise self.error(unsorted, "range not after the previous one (unsorted or nested)")
        return _Ranges(starts, ends, values)


def _source_files(sources: Sequence[Path], workdir: Path) -> dict[str, tuple[Path, str]]:
    """Find the four CSVs in directories, npm tarballs or the CSV paths themselves."""
    wanted = set(SOURCE_FILES.values())
    found: dict[str, tuple[Path, str]] = {}
    for i, source in enumerate(sources):
        if not source.exists():
            raise DataError(f"{source}: no such file or directory")
        root, prefix = source, ""
        if source.is_file() and source.name.endswith((".tgz", ".tar.gz")):
            root, prefix = workdir / f"source-{i}", f"{source}: "
            try:
                with tarfile.open(source) as tar:
                    tar.extractall(root, filter="data")
            except (tarfile.TarError, OSError) as exc:
                raise DataError(f"{source}: not a readable tarball ({exc})") from None
        candidates = [root] if root.is_file() else sorted(root.rglob("*.csv"))
        for path in candidates:
            if path.name in wanted:
                label = f"{prefix}{path.relative_to(root)}" if prefix else str(path)
                found.setdefault(path.name, (path, label))
            elif root.is_file():
                raise DataError(f"{source}: not one of {', '.join(sorted(wanted))}")
    missing = sorted(wanted - found.keys())
    if missing:
        raise DataError(f"missing {', '.join(missing)} in {', '.join(map(str, sources))}")
    return found


def _read_csv(path: Path, label: str, kind: str) -> _Csv:
    columns = COLUMNS[kind]
    try:
        frame = pd.read_csv(
            path, header=None, names=columns, dtype=str, na_filter=False, engine="c"
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        detail = " ".join(str(exc).split())
        raise DataError(f"{label}: malformed CSV: {detail}") from None
    if frame.empty:
        raise DataError(f"{label}: no rows")
    for column in columns[:3]:
        blank = (frame[column] == "").to_numpy()
        if blank.any():
            raise DataError(f"{label}: line {int(blank.argmax()) + 1}: {column} is empty")
    return _Csv(label, frame)


def _reserved(family: str) -> _Ranges:
    networks = [ipaddress.ip_network(n) for n in (RESERVED_V4 if family == "ipv4" else RESERVED_V6)]
    networks.sort(key=lambda n: int(n.network_address))
    starts, ends = (
        [str(getattr(n, a)) for n in networks] for a in ("network_address", "broadcast_address")
    )
    if family == "ipv4":
        return _Ranges(
            parse_ipv4(starts)[0].astype(np.uint64),
            parse_ipv4(ends)[0].astype(np.uint64),
            np.ones(len(networks), np.uint32),
        )
    return _Ranges(parse_ipv6(starts)[0], parse_ipv6(ends)[0], np.ones(len(networks), np.uint32))


def _after(ranges: _Ranges, family: str) -> Keys:
    """The first address after each range (dropping the end of the address space)."""
    if family == "ipv4":
        after: Keys = ranges.ends + np.uint64(1)
        return after[after < np.uint64(2**32)]
    after, fits = _increment_v6(ranges.ends)
    return after[fits]


def _value_at(ranges: _Ranges, keys: Keys) -> npt.NDArray[np.uint32]:
    i = np.searchsorted(ranges.starts, keys, side="right") - 1
    hit = i >= 0
    i = np.maximum(i, 0)
    hit &= ranges.ends[i] >= keys
    return np.where(hit, ranges.values[i], np.uint32(0))


def _merge(family: str, country: _Ranges, asn: _Ranges) -> dict[str, npt.NDArray[Any]]:
    """One gap-filled interval table for a family: starts, country index, AS index."""
    reserved = _reserved(family)
    zero = np.zeros(1, dtype=np.uint64) if family == "ipv4" else np.array([b""], dtype="S16")
    parts = [zero]
    for ranges in (country, asn, reserved):
        parts += [ranges.starts, _after(ranges, family)]
    bounds = np.unique(np.concatenate(parts))
    blocked = _value_at(reserved, bounds) > 0
    countries = np.where(blocked, 0, _value_at(country, bounds))
    as_index = np.where(blocked, 0, _value_at(asn, bounds))
    changed = np.ones(len(bounds), dtype=bool)
    changed[1:] = (countries[1:] != countries[:-1]) | (as_index[1:] != as_index[:-1])
    starts = bounds[changed].astype(np.uint32) if family == "ipv4" else bounds[changed]
    return {
        f"{family}_starts": starts,
        f"{family}_country": countries[changed].astype(np.uint8),
        f"{family}_as": as_index[changed].astype(np.uint32),
    }


def _package_info(csv_path: Path) -> dict[str, Any]:
    info: dict[str, Any] = {"file": csv_path.name}
    manifest = csv_path.parent / "package.json"
    if manifest.is_file():
        package = json.loads(manifest.read_text(encoding="utf-8"))
        info |= {k: package.get(k) for k in ("name", "version", "license")}
        dated = _PACKAGE_VERSION.search(str(package.get("version", "")))
        if dated:
            info["data_date"] = "-".join(dated.groups())
    info["sha256"] = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    return info


def fetch(dest: Path, latest: bool = True) -> list[Path]:
    """``npm pack`` the two source packages into ``dest``: the newest, or :data:`PACKAGES`."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError(
            "npm not found: install it, or fetch the npm tarballs of "
            f"{' and '.join(PACKAGES)} yourself and pass them with --from"
        )
    tarballs = []
    for name, version in PACKAGES.items():
        spec = name if latest else f"{name}@{version}"
        done = subprocess.run(
            [npm, "pack", "--silent", spec], cwd=dest, capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or not done.stdout.strip():
            why = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(f"npm pack {spec} failed: {why}")
        tarballs.append(dest / done.stdout.strip().splitlines()[-1])
    return tarballs


def build(sources: Sequence[Path], out: Path) -> dict[str, Any]:
    """Build ``ipdata.npz`` and ``ipdata.json`` in ``out`` from the published CSVs.

    ``sources`` are directories (searched recursively), the npm tarballs
    (``ip-location-db-dbip-country-*.tgz``, ``ip-location-db-asn-*.tgz``) or the CSV files.
    Raises :class:`DataError` naming the file and line of the first bad input.
    """
    with tempfile.TemporaryDirectory(prefix="residency-ipdata-") as tmp:
        files = _source_files(sources, Path(tmp))
        csvs = {key: _read_csv(*files[name], key[1]) for key, name in SOURCE_FILES.items()}
        sources_meta = [
            _package_info(files[name][0]) | {"rows": len(csvs[key].frame)}
            for key, name in SOURCE_FILES.items()
        ]
    for (_, kind), csv in csvs.items():
        if kind == "country":
            csv.check("country", "[A-Z]{2}", "country is not an ISO 3166-1 alpha-2 code")
        else:
            csv.check("asn", "[0-9]{1,10}", "AS number is not a number")
            too_big = pd.to_numeric(csv.frame["asn"]).to_numpy() >= 2**32
            if too_big.any():
                raise csv.error(too_big, "AS number beyond 32 bits")
    families = ("ipv4", "ipv6")
    codes = pd.concat([csvs[f, "country"].frame["country"] for f in families])
    country_table = np.array(sorted(set(codes)), dtype="S2")
    as_frame = pd.concat([csvs[f, "asn"].frame[["asn", "org"]] for f in families])
    as_keys = as_frame["asn"].astype(np.uint32).astype(str) + "\0" + as_frame["org"]
    as_codes, as_unique = pd.factorize(as_keys, sort=True)
    split = pd.Series(as_unique).str.split("\0", n=1, expand=True)
    org_bytes = [org.encode("utf-8") for org in split[1]]
    arrays: dict[str, npt.NDArray[Any]] = {
        "countries": country_table,
        "as_numbers": np.concatenate([[0], split[0].astype(np.uint32)]).astype(np.uint32),
        "as_org_offsets": np.cumsum([0, 0, *map(len, org_bytes)], dtype=np.int64),
        "as_org_bytes": np.frombuffer(b"".join(org_bytes), dtype=np.uint8),
    }
    offset = 0
    for family in families:
        country_csv, asn_csv = csvs[family, "country"], csvs[family, "asn"]
        cidx = np.searchsorted(country_table, country_csv.frame["country"].to_numpy(dtype="S2"))
        aidx = as_codes[offset : offset + len(asn_csv.frame)]
        offset += len(asn_csv.frame)
        country = country_csv.ranges(family, (cidx + 1).astype(np.uint32))
        asn = asn_csv.ranges(family, (aidx + 1).astype(np.uint32))
        arrays |= _merge(family, country, asn)
    meta = {
        "format": FORMAT,
        "attribution": ATTRIBUTION,
        "sources": sources_meta,
        "intervals": {f: len(arrays[f"{f}_starts"]) for f in families},
        "countries": len(country_table),
        "autonomous_systems": len(as_unique),
    }
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / DATA_FILE, allow_pickle=False, **arrays)
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


# --------------------------------------------------------------------------- lookup


@dataclass(frozen=True)
class IpData:
    """The loaded interval tables; index 0 of ``countries``/``as_*`` means "no data"."""

    path: Path
    v4_starts: U32
    v4_bucket: npt.NDArray[np.int32]  # per /20, see _buckets
    v4_country: U8
    v4_as: U32
    v6_starts: npt.NDArray[np.bytes_]
    v6_halves: npt.NDArray[np.uint64]  # (2, n): v6_starts as high and low 64 bits
    v6_country: U8
    v6_as: U32
    countries: npt.NDArray[np.object_]
    as_numbers: U32
    as_orgs: npt.NDArray[np.object_]
    metadata: dict[str, Any]


def user_data_dir() -> Path:
    """``$RESIDENCY_DATA_DIR``, else ``$XDG_DATA_HOME/residency`` (``~/.local/share/residency``)."""
    explicit = os.environ.get("RESIDENCY_DATA_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "residency"


def read_tables(
    data_file: str, meta_file: str, what: str
) -> tuple[Path, dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """The arrays of ``data_file`` and the JSON of ``meta_file``, from the refreshed copy in
    the user's data folder if it has ``data_file``, else from the packaged ``ipdata``; a file
    that cannot be read is a :class:`DataError` naming ``what`` and the folder."""
    folder = user_data_dir() / "ipdata"
    if not (folder / data_file).is_file():
        folder = regions_path("ipdata")
    try:
        with np.load(folder / data_file, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        metadata = json.loads((folder / meta_file).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"cannot read {what} in {folder}: {exc}") from None
    return folder, arrays, metadata


@functools.cache
def load() -> IpData:
    """The tables, read once: the refreshed copy if there is one, else the packaged data."""
    folder, a, metadata = read_tables(DATA_FILE, META_FILE, "IP data")
    raw, offsets = a["as_org_bytes"].tobytes(), a["as_org_offsets"]
    orgs = [raw[s:e].decode("utf-8") for s, e in itertools.pairwise(offsets)]
    return IpData(
        path=folder,
        v4_starts=a["ipv4_starts"],
        v4_bucket=_buckets(a["ipv4_starts"]),
        v4_country=a["ipv4_country"],
        v4_as=a["ipv4_as"],
        v6_starts=a["ipv6_starts"],
        v6_halves=_halves(a["ipv6_starts"]),
        v6_country=a["ipv6_country"],
        v6_as=a["ipv6_as"],
        countries=np.array([None, *(c.decode() for c in a["countries"])], dtype=object),
        as_numbers=a["as_numbers"],
        as_orgs=np.array([None, *orgs[1:]], dtype=object),
        metadata=metadata,
    )


def clear_cache() -> None:
    """Forget the loaded tables (after a refresh, or when the data folder changes)."""
    load.cache_clear()


def _buckets(starts: U32) -> npt.NDArray[np.int32]:
    """Per /20: the index of the last start ≤ its first address, as ``~index`` (negative) where
    the next /20's index differs (a start may lie inside); then ``len(starts) - 1``."""
    firsts = np.arange(1 << (32 - _BUCKET_SHIFT), dtype=np.uint64) << np.uint64(_BUCKET_SHIFT)
    found = np.searchsorted(starts, firsts, side="right") - 1
    after = np.append(found[1:], len(starts) - 1)
    return np.append(np.where(after != found, ~found, found), len(starts) - 1).astype(np.int32)


def _halves(keys: npt.NDArray[np.bytes_]) -> npt.NDArray[np.uint64]:
    """128-bit big-endian ``S16`` keys → ``(2, n)`` uint64: high and low halves."""
    words = np.frombuffer(np.ascontiguousarray(keys).tobytes(), dtype=">u8").reshape(-1, 2)
    return np.ascontiguousarray(words.T, dtype=np.uint64)


def _find_v6(data: IpData, keys: npt.NDArray[np.bytes_]) -> npt.NDArray[np.intp]:
    """Index of the interval holding each key: the last start ≤ it.

    Searched on the high 64 bits (most starts are /64-aligned), in sorted order (``searchsorted``
    with sorted keys is several times faster than with random ones, sorting included); where
    the start found shares the key's high half but not its low half, searched again on all
    128 bits.
    """
    hi, lo = _halves(keys)
    order = np.argsort(hi)
    found = np.empty(len(hi), dtype=np.intp)
    found[order] = np.searchsorted(data.v6_halves[0], hi[order], side="right") - 1
    check = np.flatnonzero((data.v6_halves[0][found] == hi) & (data.v6_halves[1][found] > lo))
    found[check] = np.searchsorted(data.v6_starts, keys[check], side="right") - 1
    return found


def _find_v4(data: IpData, address: U32) -> npt.NDArray[np.intp]:
    """Index of the interval holding each address: ``searchsorted(starts, a, "right") - 1``.

    The same answer as searching all starts, faster: a table gives it per /20, and only the
    addresses in a /20 where an interval may start are searched, between the indices of their
    /20 and the next (a few dozen starts at most), in a few vectorised bisection steps.
    """
    bucket = (address >> np.uint32(_BUCKET_SHIFT)).astype(np.intp)
    found = np.take(data.v4_bucket, bucket).astype(np.intp)
    split = np.flatnonzero(found < 0)
    if split.size == 0:
        return found
    low = ~np.take(found, split)
    high = np.take(data.v4_bucket, np.take(bucket, split) + 1).astype(np.intp)
    high = np.where(high < 0, ~high, high)
    key = np.take(address, split)
    step = 1 << max(int((high - low).max()).bit_length() - 1, 0)
    while step:  # the last start ≤ key in [low, high], found bit by bit from the top
        ahead = np.minimum(low + step, high)
        low += step * ((np.take(data.v4_starts, ahead) <= key) & (ahead == low + step))
        step >>= 1
    found[split] = low
    return found


class _Strings:
    """A chunk of the input: its text (or byte rows) and its original values."""

    def __init__(self, values: list[Any] | npt.NDArray[Any] | pa.Array) -> None:
        self.values = values
        self.text = _arrow_text(values) if isinstance(values, pa.Array) else _joined_text(values)
        self.matrix = _fixed_matrix(values) if self.text is None else self.text.rows(_WIDTH)

    def ipv6(self, rows: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.bytes_], Bools]:
        if self.text is None:
            return _pton_all(_pick(self.values, rows))
        return _parse_ipv6_text(self.text, rows, self.values)


def _arrow_text(strings: pa.Array) -> _Text:
    """The strings of an Arrow string array, straight from its buffers: no Python string."""
    if not pa.types.is_large_string(strings.type):
        strings = strings.cast(pa.large_string())
    _, offsets_buffer, data_buffer = strings.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    starts = (offsets[:-1] - offsets[0]).astype(np.intp)
    lengths = np.diff(offsets).astype(np.intp)
    lengths[strings.is_null().to_numpy(zero_copy_only=False)] = 0
    return _Text.of(data, starts, lengths)


def _arrow_strings(series: pd.Series) -> pa.Array | None:
    """The Arrow string array behind a Series (pandas' default ``str`` dtype), if it has one."""
    if not isinstance(series.array, pd.arrays.ArrowStringArray):
        return None
    array = pa.array(series.array)
    return array if pa.types.is_string(array.type) or pa.types.is_large_string(array.type) else None


def _resolve_chunk(data: IpData, strings: _Strings) -> tuple[U8, U32]:
    matrix, n = strings.matrix, len(strings.matrix)
    is6 = _bitmask(matrix == ord(":")) != 0
    address, ok = _parse_ipv4_matrix(matrix)
    country = np.zeros(n, dtype=np.uint8)
    as_index = np.zeros(n, dtype=np.uint32)
    v4 = np.flatnonzero(ok)
    i = _find_v4(data, address[v4])
    country[v4], as_index[v4] = data.v4_country[i], data.v4_as[i]
    rows = np.flatnonzero(is6)
    if rows.size:
        keys, ok6 = strings.ipv6(rows)
        raw = keys.view(np.uint8).reshape(-1, 16)
        mapped = ok6 & (raw[:, :12] == np.frombuffer(_MAPPED_PREFIX, np.uint8)).all(1)
        native = np.flatnonzero(ok6 & ~mapped)
        i = _find_v6(data, keys[native])
        country[rows[native]], as_index[rows[native]] = data.v6_country[i], data.v6_as[i]
        # ::ffff:a.b.c.d is the IPv4 address a.b.c.d.
        mapped_rows = np.flatnonzero(mapped)
        i = _find_v4(
            data, np.ascontiguousarray(raw[mapped_rows, 12:]).view(">u4").ravel().astype(np.uint32)
        )
        country[rows[mapped_rows]], as_index[rows[mapped_rows]] = data.v4_country[i], data.v4_as[i]
    return country, as_index


def lookup(addresses: pd.Series | npt.NDArray[Any] | Sequence[Any]) -> pd.DataFrame:
    """Country (ISO 3166-1 alpha-2), AS number and AS organisation of each address.

    Columns ``country`` and ``as_org`` hold ``str`` or ``None``, ``asn`` is nullable ``Int64``;
    rows follow the input (a Series keeps its index). Private, reserved, unallocated and
    malformed addresses get ``None``/``<NA>`` everywhere. IPv4 text is read as a C string would
    be: trailing NUL characters are ignored.
    """
    data = load()
    index: pd.Index | None = None
    values: list[Any] | npt.NDArray[Any] | pa.Array
    if isinstance(addresses, pd.Series):
        index = addresses.index
        arrow = _arrow_strings(addresses)
        values = arrow if arrow is not None else addresses.to_numpy(dtype=object)
    elif isinstance(addresses, np.ndarray):
        values = addresses.ravel()
    else:
        values = addresses if isinstance(addresses, list) else list(addresses)
    country = np.zeros(len(values), dtype=np.uint8)
    as_index = np.zeros(len(values), dtype=np.uint32)
    for start in range(0, len(values), CHUNK):
        part = slice(start, start + CHUNK)
        country[part], as_index[part] = _resolve_chunk(data, _Strings(values[part]))
    asn = pd.arrays.IntegerArray(np.take(data.as_numbers, as_index).astype(np.int64), as_index == 0)
    # Series made without copying (and object columns kept object, not converted to pandas'
    # str dtype), joined without copying: the frame owns the arrays made here.
    rows = pd.RangeIndex(len(country)) if index is None else index
    columns = {
        "country": pd.Series(np.take(data.countries, country), rows, dtype=object, copy=False),
        "asn": pd.Series(asn, rows, copy=False),
        "as_org": pd.Series(data.as_orgs[as_index], rows, dtype=object, copy=False),
    }
    return pd.DataFrame(columns, copy=False)
