"""Asset rows out of a page of OpenStack objects, column by column (never object by object)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from residency.fields import Items, column, elements, per_object

__all__ = [
    "asset_rows",
    "element_table",
    "first_of",
    "joined_strings",
    "last_segment",
    "none_if_empty",
    "table",
]


def asset_rows(
    page: Items,
    kind: str,
    region: str | None,
    *,
    scope: str | pd.Series | None = None,
    zone: str | pd.Series | None = None,
    parent_id: str | pd.Series | None = None,
    host: str | pd.Series | None = None,
    asset_id: str | pd.Series = "id",
    name: str | pd.Series = "name",
    attributes: Mapping[str, str | pd.Series] | None = None,
) -> pd.DataFrame:
    """Rows of one kind: each argument is a dotted field path of the page, or a Series
    already computed from it, or None (the API has no such field)."""

    def value(spec: str | pd.Series | None) -> Any:
        if spec is None:
            return None
        return column(page, spec) if isinstance(spec, str) else spec.to_numpy(dtype=object)

    columns: dict[str, Any] = {
        "kind": kind,
        "asset_id": value(asset_id),
        "name": value(name),
        "region": region,
        "zone": value(zone),
        # OpenStack sends "" for "no project" (a router's gateway port).
        "scope": none_if_empty(
            pd.Series(value(scope), index=pd.RangeIndex(len(page)), dtype=object)
        ),
        "parent_id": value(parent_id),
        "host": value(host),
    }
    for key, spec in (attributes or {}).items():
        columns[key] = value(spec)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(page)))
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def first_of(page: Items, list_path: str, field_path: str | None = None) -> pd.Series:
    """The first element of a list field per object (or that element's ``field_path``)."""
    if field_path is None:
        lists = page.get(list_path)
        if not pa.types.is_list(lists.type):
            return pd.Series([None] * len(page), dtype=object)
        owner = pc.list_parent_indices(lists).to_numpy()
        values = lists.flatten()
        if not (pa.types.is_string(values.type) or pa.types.is_null(values.type)):
            values = pc.cast(values, pa.string())
        return per_object(owner, values.to_numpy(zero_copy_only=False), len(page))
    found = elements(page, list_path, field_path)
    if found is None:
        return pd.Series([None] * len(page), dtype=object)
    owner, values = found
    return per_object(owner, values.to_numpy(zero_copy_only=False), len(page))


def none_if_empty(values: pd.Series) -> pd.Series:
    """Empty strings as None: OpenStack sends ``""`` where it means "not set"."""
    return values.where(values.notna() & values.astype(str).ne(""), None)


def last_segment(values: pd.Series) -> pd.Series:
    """The last path segment of each reference URL (Barbican's ``secret_ref``)."""
    return values.astype("string").str.rstrip("/").str.rsplit("/", n=1).str[-1].astype(object)


def joined_strings(page: Items, path: str, separator: str = ",") -> pd.Series:
    """A list-of-strings field joined per object; None where empty or missing."""
    lists = page.get(path)
    if not pa.types.is_list(lists.type) or not pa.types.is_string(lists.type.value_type):
        return pd.Series([None] * len(page), dtype=object)
    joined = pc.binary_join(lists, separator).to_numpy(zero_copy_only=False)
    return none_if_empty(pd.Series(joined, dtype=object))


def table(page: Items, columns: Mapping[str, str | pd.Series]) -> pd.DataFrame:
    """A frame that is not asset rows (an inventory a transform joins, a flow's source):
    each column a dotted field path of the page or a Series aligned with it; text as
    Python objects, None where missing or ``""``."""
    frame = pd.DataFrame(
        {
            name: none_if_empty(
                column(page, spec) if isinstance(spec, str) else spec.reset_index(drop=True)
            ).to_numpy(dtype=object)
            for name, spec in columns.items()
        },
        index=pd.RangeIndex(len(page)),
    ).astype(object)
    return frame.where(frame.notna(), None)


def element_table(page: Items, list_path: str, fields: tuple[str, ...]) -> pd.DataFrame | None:
    """Every element of the list of objects at ``list_path`` as a row: ``owner`` (the row
    of the object that holds it) and each of ``fields`` (None where absent). None where no
    element has any of them."""
    values: dict[str, Any] = {}
    owner: Any = None
    for name in fields:
        found = elements(page, list_path, name)
        if found is None:
            values[name] = None
            continue
        owner, array = found
        values[name] = array.to_numpy(zero_copy_only=False)
    if owner is None:
        return None
    return pd.DataFrame({"owner": owner, **values}, index=pd.RangeIndex(len(owner)))
