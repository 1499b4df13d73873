"""Kubernetes object identity and asset rows; the bulk column helpers live in
:mod:`residency.fields`, shared with the OpenStack collector."""

from __future__ import annotations

from typing import Any

import pandas as pd

from residency.fields import Items, column, elements, joined, label, per_object

__all__ = [
    "Items",
    "column",
    "elements",
    "identity",
    "joined",
    "label",
    "object_rows",
    "per_object",
]


def identity(items: Items, kind: str) -> pd.Series:
    """``metadata.uid``; objects read from manifests rather than the API have none, and get a
    stable ``k8s:<kind>/<namespace>/<name>`` instead."""
    uid = column(items, "metadata.uid")
    namespace = column(items, "metadata.namespace").fillna("")
    fallback = f"k8s:{kind}/" + namespace + "/" + column(items, "metadata.name").fillna("")
    return uid.where(uid.notna(), fallback)


def object_rows(page: Items, kind: str, parent_id: Any = None, **columns: Any) -> pd.DataFrame:
    """Asset rows for a page: kind, identity, name, namespace (None for cluster-scoped
    objects) and parent, plus ``columns``; missing values are None, as the tables expect."""
    frame = pd.DataFrame(
        {
            "kind": kind,
            "asset_id": identity(page, kind),
            "name": column(page, "metadata.name"),
            "scope": column(page, "metadata.namespace"),
            "parent_id": parent_id,
            **columns,
        }
    )
    return frame.astype(object).where(frame.notna(), None)
