"""The Arrow schemas of every table a sweep writes, declared once.

Each column carries a ``description`` in its field metadata; enum columns are
dictionary-encoded strings whose allowed values are listed in ``ENUMS``.
Every table starts with the provenance columns ``sweep_id``, ``source`` and
``observed_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ASSETS",
    "CATEGORIES",
    "COMPLETE_COVERAGE",
    "COVERAGE",
    "DATA_CLASSES",
    "ENUMS",
    "FINDINGS",
    "FLOWS",
    "PLACEMENTS",
    "SCHEMAS",
    "TABLE_NAMES",
    "conform",
    "empty_table",
]

DICT_STRING: Final = pa.dictionary(pa.int32(), pa.string())
TIMESTAMP: Final = pa.timestamp("us", tz="UTC")

CATEGORIES: Final = (
    "data_plane",
    "customer_resource",
    "control_plane",
    "network_security",
    "identity_recovery",
)
DATA_CLASSES: Final = ("customer", "users", "technical", "administrative")

ENUMS: Final[Mapping[str, Mapping[str, tuple[str, ...]]]] = {
    "assets": {
        "platform": ("openstack", "kubernetes"),
        "category": CATEGORIES,
    },
    "placements": {
        "basis": (
            "declared_site",
            "provider_catalog",
            "topology_label",
            "provider_id_lineage",
            "ip_geolocation",
            "unknown",
        ),
    },
    "flows": {
        "basis": ("declared", "observed"),
        "channel": (
            "logs",
            "metrics",
            "traces",
            "backup",
            "replication",
            "dns",
            "identity",
            "registry",
            "webhook",
            "acme",
            "egress",
            "vpn",
        ),
    },
    "coverage": {
        "status": ("ok", "forbidden", "error", "skipped", "not_found"),
    },
    "findings": {
        "status": ("pass", "fail", "unknown", "not_applicable", "exempted"),
        "severity": ("info", "low", "medium", "high", "critical"),
        "subject_table": ("assets", "placements", "flows", "coverage"),
    },
}


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


def _provenance() -> list[pa.Field]:
    return [
        _field("sweep_id", DICT_STRING, "Identifier of the sweep that wrote this row.", False),
        _field("source", DICT_STRING, "Configured cloud or cluster name the row came from.", False),
        _field("observed_at", TIMESTAMP, "When the collector observed the row (UTC).", False),
    ]


def _schema(table: str, description: str, fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(
        _provenance() + fields,
        metadata={"table": table, "description": description},
    )


STRING_MAP: Final = pa.map_(pa.string(), pa.string())
STRING_LIST: Final = pa.list_(pa.string())

ASSETS: Final = _schema(
    "assets",
    "One row per thing that stores, processes or controls Critical Data.",
    [
        _field("platform", DICT_STRING, "openstack or kubernetes.", False),
        _field("kind", DICT_STRING, "Resource kind: server, volume, node, pod, …", False),
        _field(
            "asset_id", pa.string(), "Identifier unique within the estate (UUID or uid).", False
        ),
        _field("name", pa.string(), "Human name of the resource."),
        _field("scope", pa.string(), "OpenStack project or Kubernetes namespace."),
        _field("region", pa.string(), "Region as the control plane names it."),
        _field("zone", pa.string(), "Availability zone as the control plane names it."),
        _field("host", pa.string(), "Hypervisor or node host, where the API exposes it."),
        _field("provider", pa.string(), "Provider catalog id the asset runs on, when known."),
        _field("category", DICT_STRING, "CISPE Critical Asset category.", False),
        _field("data_classes", STRING_LIST, "CISPE Critical Data classes the asset holds.", False),
        _field("parent_id", pa.string(), "Lineage: the asset this one runs on or is backed by."),
        _field("attributes", STRING_MAP, "Further facts as strings (never secret values)."),
    ],
)

PLACEMENTS: Final = _schema(
    "placements",
    "One row per asset: where it sits, who operates the site, and on what basis.",
    [
        _field("asset_id", pa.string(), "The located asset.", False),
        _field("country", pa.string(), "ISO 3166-1 alpha-2 country, null when unknown."),
        _field("subdivision", pa.string(), "ISO 3166-2 subdivision where it matters."),
        _field("city", pa.string(), "City of the site, when known."),
        _field("lat", pa.float64(), "Latitude of the site (WGS84)."),
        _field("lon", pa.float64(), "Longitude of the site (WGS84)."),
        _field("operator", pa.string(), "Legal name of the site's operator, when known."),
        _field(
            "operator_jurisdiction",
            pa.string(),
            "ISO country whose law controls the operator (its headquarters).",
        ),
        _field("basis", DICT_STRING, "How the placement was established.", False),
        _field("evidence", pa.string(), "Which configuration or catalog entry said so.", False),
    ],
)

FLOWS: Final = _schema(
    "flows",
    "One row per place data goes from an asset.",
    [
        _field("asset_id", pa.string(), "Asset the data leaves.", False),
        _field("basis", DICT_STRING, "declared in configuration or observed in traffic.", False),
        _field("channel", DICT_STRING, "What kind of data path this is.", False),
        _field("data_classes", STRING_LIST, "Critical Data classes carried.", False),
        _field("endpoint", pa.string(), "Endpoint as configured, without userinfo or tokens."),
        _field("host", pa.string(), "Destination host name."),
        _field("ip", pa.string(), "Destination address."),
        _field("port", pa.int32(), "Destination port."),
        _field("dest_country", pa.string(), "ISO country of the destination."),
        _field("dest_operator", pa.string(), "Operator of the destination."),
        _field("operator_jurisdiction", pa.string(), "ISO country controlling the operator."),
        _field("resolution_basis", pa.string(), "How the destination was resolved."),
        _field("evidence", pa.string(), "Which object and field said so.", False),
    ],
)

COVERAGE: Final = _schema(
    "coverage",
    "One row per (source, region, resource kind): how completely it was collected.",
    [
        _field("region", pa.string(), "Region the listing covered, when regional."),
        _field("kind", DICT_STRING, "Resource kind listed.", False),
        _field("status", DICT_STRING, "ok, forbidden, error, skipped or not_found.", False),
        _field("rows", pa.int64(), "Rows collected.", False),
        _field("duration_s", pa.float64(), "Seconds spent listing.", False),
        _field("error", pa.string(), "What went wrong, when status is not ok."),
    ],
)

FINDINGS: Final = _schema(
    "findings",
    "One row per (rule, subject): the verdict and why.",
    [
        _field("rule_id", DICT_STRING, "Rule that produced the finding.", False),
        _field("subject_table", DICT_STRING, "Table the subject lives in.", False),
        _field("subject_id", pa.string(), "asset_id, or source/region/kind for coverage.", False),
        _field("subject_kind", DICT_STRING, "Kind of the subject.", False),
        _field("subject_name", pa.string(), "Human name of the subject."),
        _field("status", DICT_STRING, "pass, fail, unknown, not_applicable, exempted.", False),
        _field("severity", DICT_STRING, "Severity of the rule.", False),
        _field("area", DICT_STRING, "Area the rule evaluated against.", False),
        _field("refs", STRING_LIST, "CISPE / CADA clauses the rule checks.", False),
        _field("message", pa.string(), "Why the verdict is what it is.", False),
        _field("evidence", pa.string(), "The placement or coverage facts behind it.", False),
    ],
)

SCHEMAS: Final[Mapping[str, pa.Schema]] = {
    "assets": ASSETS,
    "placements": PLACEMENTS,
    "flows": FLOWS,
    "coverage": COVERAGE,
    "findings": FINDINGS,
}
TABLE_NAMES: Final = tuple(SCHEMAS)


class SchemaError(ValueError):
    """A batch does not fit its table's schema."""


COMPLETE_COVERAGE: Final = ("ok", "not_found")
"""Coverage statuses that leave nothing unseen: listed in full, or the kind does not exist
there (a service missing from the catalog, a CRD that is not installed)."""


def conform(table: str, data: pa.Table | pa.RecordBatch) -> pa.Table:
    """Cast ``data`` to ``table``'s schema, checking columns, nulls and enum values."""
    schema = SCHEMAS[table]
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    missing = [f.name for f in schema if f.name not in data.column_names]
    extra = [c for c in data.column_names if c not in schema.names]
    if missing or extra:
        raise SchemaError(f"{table}: missing columns {missing}, unexpected columns {extra}")
    data = data.select(schema.names)
    for field in schema:
        nulls = data.column(field.name).null_count
        if not field.nullable and nulls:
            raise SchemaError(f"{table}.{field.name}: {nulls} null values")
    try:
        data = data.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(f"{table}: {exc}") from exc
    for field in schema:
        column = data.column(field.name)
        allowed = ENUMS.get(table, {}).get(field.name)
        if allowed is not None and len(column):
            values = pc.unique(column.cast(pa.string())).to_pylist()
            bad = sorted(str(v) for v in values if v is not None and v not in allowed)
            if bad:
                raise SchemaError(f"{table}.{field.name}: values {bad} not in {list(allowed)}")
    return data


def empty_table(table: str) -> pa.Table:
    """A table with ``table``'s schema and no rows."""
    return SCHEMAS[table].empty_table()
