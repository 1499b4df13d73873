"""Columns out of a page of API objects (Kubernetes, OpenStack), in bulk: Arrow infers one
struct type per page and every field is then a whole column, never a Python loop over
objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Items", "column", "elements", "joined", "label", "per_object"]


class Items:
    """A page of API objects as one Arrow struct array."""

    def __init__(self, items: Sequence[Mapping[str, Any]]) -> None:
        self.array: pa.Array = pa.array(items) if items else pa.array([], pa.struct([]))
        self.length = len(items)

    @classmethod
    def of_table(cls, table: pa.Table) -> Items:
        """The rows of an Arrow table (read from a file rather than an API page)."""
        page = cls([])
        page.array = table.to_struct_array().combine_chunks()
        page.length = len(table)
        return page

    def __len__(self) -> int:
        return self.length

    def get(self, path: str) -> pa.Array:
        """The field at a dotted path (``metadata.uid``); all nulls where the page lacks it."""
        array = self.array
        for part in path.split("."):
            if not pa.types.is_struct(array.type) or array.type.get_field_index(part) < 0:
                return pa.nulls(self.length)
            array = pc.struct_field(array, part)
        return array


def column(items: Items, path: str) -> pd.Series:
    """A dotted-path field as an object Series of strings (None where missing)."""
    array = items.get(path)
    if pa.types.is_null(array.type):
        return pd.Series([None] * len(items), dtype=object)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.cast(array, pa.string()) if _castable(array.type) else pa.nulls(len(items))
    return pd.Series(array.to_numpy(zero_copy_only=False), dtype=object)


def _castable(type_: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_boolean(type_)
    )


def label(items: Items, key: str, where: str = "metadata.labels") -> pd.Series:
    """One label (or annotation) value per object; label keys contain dots, so no dotted path."""
    labels = items.get(where)
    if not pa.types.is_struct(labels.type) or labels.type.get_field_index(key) < 0:
        return pd.Series([None] * len(items), dtype=object)
    return pd.Series(pc.struct_field(labels, key).to_numpy(zero_copy_only=False), dtype=object)


def joined(items: Items, list_path: str, field: str, separator: str = ",") -> pd.Series:
    """``field`` of every element of the list at ``list_path``, joined per object."""
    lists = items.get(list_path)
    if not pa.types.is_list(lists.type) or not pa.types.is_struct(lists.type.value_type):
        return pd.Series([None] * len(items), dtype=object)
    values = lists.flatten()
    if values.type.get_field_index(field) < 0:
        return pd.Series([None] * len(items), dtype=object)
    inner = pc.struct_field(values, field)
    offsets = pc.subtract(lists.offsets, lists.offsets[0])
    rebuilt = pa.ListArray.from_arrays(offsets, inner, mask=lists.is_null())
    result = pc.binary_join(rebuilt, separator).to_numpy(zero_copy_only=False)
    return pd.Series(np.where(pd.isna(result), None, result), dtype=object)


def elements(items: Items, list_path: str, field_path: str) -> tuple[Any, pa.Array] | None:
    """Every element of the list of objects at ``list_path``: the row of the object that owns
    it, and its ``field_path`` (dotted) value. None where the page has no such field."""
    lists = items.get(list_path)
    if not pa.types.is_list(lists.type) or not pa.types.is_struct(lists.type.value_type):
        return None
    array = lists.flatten()
    for part in field_path.split("."):
        if not pa.types.is_struct(array.type) or array.type.get_field_index(part) < 0:
            return None
        array = pc.struct_field(array, part)
    return pc.list_parent_indices(lists).to_numpy(), array


def per_object(owner: Any, values: Any, n: int, separator: str | None = None) -> pd.Series:
    """Element values gathered back onto their ``n`` objects: the first non-null one, or all
    of them joined with ``separator``; None where an object has none."""
    series = pd.Series(np.asarray(values, dtype=object), dtype=object)
    present = series.notna().to_numpy()
    groups = series[present].groupby(np.asarray(owner)[present])
    gathered = groups.first() if separator is None else groups.agg(separator.join)
    return pd.Series(gathered.reindex(np.arange(n)).to_numpy(dtype=object), dtype=object)
