"""Meta-tests over every table schema, and CloudQuery's always-empty-column check."""

from __future__ import annotations

import pyarrow as pa
import pytest

from residency.schema import ENUMS, SCHEMAS, TABLE_NAMES, SchemaError, conform, empty_table
from residency.store import StoredSweep

PROVENANCE = ["sweep_id", "source", "observed_at"]


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_every_schema_starts_with_provenance_and_documents_every_column(table: str) -> None:
    schema = SCHEMAS[table]
    assert schema.names[:3] == PROVENANCE
    assert schema.field("observed_at").type == pa.timestamp("us", tz="UTC")
    assert schema.metadata[b"table"] == table.encode()
    for field in schema:
        assert field.metadata and field.metadata[b"description"].strip(), field.name
        assert field.name == field.name.lower() and " " not in field.name
    for field in schema:
        if field.name in PROVENANCE:
            assert not field.nullable


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_enum_columns_are_dictionary_encoded_strings(table: str) -> None:
    schema = SCHEMAS[table]
    for column in ENUMS.get(table, {}):
        field = schema.field(column)
        assert pa.types.is_dictionary(field.type), column
        assert field.type.value_type == pa.string()
        assert not field.nullable, column


def test_key_columns_match_the_design() -> None:
    assert {
        "platform",
        "kind",
        "asset_id",
        "scope",
        "region",
        "zone",
        "host",
        "category",
        "data_classes",
        "parent_id",
        "attributes",
    } <= set(SCHEMAS["assets"].names)
    assert {"asset_id", "country", "subdivision", "lat", "lon", "basis", "evidence"} <= set(
        SCHEMAS["placements"].names
    )
    assert {
        "asset_id",
        "basis",
        "channel",
        "data_classes",
        "endpoint",
        "host",
        "ip",
        "port",
        "dest_country",
        "dest_operator",
        "operator_jurisdiction",
        "resolution_basis",
        "evidence",
    } <= set(SCHEMAS["flows"].names)
    assert {"status", "rows", "duration_s", "error"} <= set(SCHEMAS["coverage"].names)
    assert {
        "rule_id",
        "subject_table",
        "subject_id",
        "status",
        "severity",
        "area",
        "refs",
        "message",
        "evidence",
    } <= set(SCHEMAS["findings"].names)


def test_conform_rejects_unknown_enum_values_and_nulls() -> None:
    good = empty_table("coverage").to_pylist()
    assert good == []
    row = {
        "sweep_id": ["s"],
        "source": ["x"],
        "observed_at": pa.array([0], pa.timestamp("us", tz="UTC")),
        "region": [None],
        "kind": ["server"],
        "status": ["maybe"],
        "rows": [1],
        "duration_s": [0.1],
        "error": [None],
    }
    with pytest.raises(SchemaError, match=r"coverage.status: values \['maybe'\]"):
        conform("coverage", pa.table(row))
    row["status"] = ["ok"]
    row["kind"] = [None]
    with pytest.raises(SchemaError, match=r"coverage\.kind: 1 null"):
        conform("coverage", pa.table(row))
    row["kind"] = ["server"]
    assert conform("coverage", pa.table(row)).schema == SCHEMAS["coverage"]
    del row["error"]
    with pytest.raises(SchemaError, match=r"missing columns \['error'\]"):
        conform("coverage", pa.table(row))


@pytest.mark.parametrize("table", ["assets", "placements", "coverage", "findings"])
def test_sample_sweep_tables_have_rows_and_no_always_empty_column(
    sample_sweep: StoredSweep, table: str
) -> None:
    data = sample_sweep.table(table)
    assert data.schema == SCHEMAS[table]
    assert data.num_rows > 0
    always_empty = [
        name for name in data.column_names if data.column(name).null_count == data.num_rows
    ]
    assert always_empty == []


def test_flows_table_is_written_with_its_schema(sample_sweep: StoredSweep) -> None:
    # Flows are resolved by the data-flow capability; the sample sweep writes the table
    # with its schema so that readers never meet a missing file.
    flows = sample_sweep.table("flows")
    assert flows.schema == SCHEMAS["flows"]
