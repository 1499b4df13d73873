"""The rule registry: declarative rules, registered once, vectorised over whole tables.

Every rule names the CISPE / CADA clauses it checks. Reference ids:

- ``CISPE-def-N``: definition N of the CISPE Sovereignty & Resilience Framework
  (3 Control Plane, 4 Critical Assets, 5 Critical Data, 7 Data Plane, 8 DGAS, 13 Non-sovereign
  entity, 14 Operational autonomy); ``CISPE-badge-sovereign``: the Sovereign Cloud Service Badge.
- ``CADA-II-<level>.<criterion>``: Annex II of the proposed Cloud and AI Development Act,
  Union assurance level 1–4 and the criterion's name.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from residency.areas import INSIDE, OUTSIDE, Area
from residency.config import ExemptionConfig
from residency.kinds import KINDS, kinds_in_category
from residency.schema import CATEGORIES, COMPLETE_COVERAGE

__all__ = [
    "REGISTRY",
    "EvaluationInput",
    "Rule",
    "evaluate",
    "evaluate_rules",
    "refs_column",
    "register",
]

Requirement = Literal["location", "control"]
# One message for all, or a function giving the messages of the subjects a mask selects.
Text = str | Callable[[npt.NDArray[np.bool_]], npt.NDArray[Any]]
FINDING_COLUMNS: Final = [
    "source",
    "rule_id",
    "subject_table",
    "subject_id",
    "subject_kind",
    "subject_name",
    "status",
    "message",
    "evidence",
]


@dataclass
class EvaluationInput:
    """What rules read: assets joined with their placements, coverage, and area membership."""

    assets: pd.DataFrame
    coverage: pd.DataFrame
    area: Area
    location: np.ndarray  # INSIDE / OUTSIDE / UNKNOWN per asset, by where it sits
    control: np.ndarray  # INSIDE / OUTSIDE / UNKNOWN per asset, by its operator's jurisdiction
    # Resolved flows (see residency.resolve.resolve_sweep_flows) and their memberships.
    flows: pd.DataFrame | None = None
    flow_location: np.ndarray | None = None
    flow_control: np.ndarray | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    refs: tuple[str, ...]
    severity: str
    reads: tuple[str, ...]
    requirement: Requirement
    doc: str
    # Findings in one frame, or in several (a large rule's, a slice at a time).
    evaluate: Callable[[EvaluationInput], pd.DataFrame | Iterator[pd.DataFrame]]


REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the registry; ids are unique."""
    if rule.id in REGISTRY:
        raise ValueError(f"rule {rule.id} registered twice")
    REGISTRY[rule.id] = rule
    return rule


def _describe(assets: pd.DataFrame) -> pd.Series:
    name = assets["name"].fillna(assets["asset_id"]).astype(str)
    where = assets["region"].fillna("no region").astype(str)
    return (
        assets["kind"].astype(str)
        + " "
        + name
        + " ("
        + assets["source"].astype(str)
        + ", "
        + where
        + ")"
    )


def _per_distinct(
    parts: pd.DataFrame, build: Callable[[pd.DataFrame], pd.Series]
) -> npt.NDArray[Any]:
    """``build`` once per distinct row of ``parts``, spread back to every row: the rows that
    say the same (the pods on one node share its evidence) share one string object."""
    codes = parts.groupby(list(parts.columns), sort=False, dropna=False).ngroup().to_numpy()
    built: npt.NDArray[Any] = build(parts.drop_duplicates()).to_numpy(dtype=object)[codes]
    return built


def _place(assets: pd.DataFrame, before: str, after: str) -> npt.NDArray[Any]:
    """``before`` + country (city) + ``after`` for each asset, one string per distinct place."""

    def place(distinct: pd.DataFrame) -> pd.Series:
        city = distinct["city"].fillna("").astype(str)
        where = np.where(city != "", " (" + city + ")", "")
        return before + distinct["country"].fillna("?").astype(str) + where + after

    return _per_distinct(assets[["country", "city"]], place)


def _basis_evidence(assets: pd.DataFrame) -> npt.NDArray[Any]:
    def text(distinct: pd.DataFrame) -> pd.Series:
        return "basis=" + distinct["basis"].astype(str) + ": " + distinct["evidence"].astype(str)

    return _per_distinct(assets[["basis", "evidence"]], text)


def _judged(
    membership: npt.NDArray[np.int8],
    lead: npt.NDArray[Any],
    inside: Text,
    outside: Text,
    unknown: Text,
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Status per subject from its membership, and ``lead`` + the text of its status.

    Each row's message is built only for its own status: at a million subjects, three
    full-length candidate arrays would cost hundreds of megabytes.
    """
    status = np.select(
        [membership == INSIDE, membership == OUTSIDE], ["pass", "fail"], default="unknown"
    )
    message = lead.copy()
    for verdict, text in (("pass", inside), ("fail", outside), ("unknown", unknown)):
        rows = status == verdict
        if rows.any():
            suffix = text(rows) if callable(text) else text
            message[rows] = lead[rows] + suffix
    return status, message


def _verdicts(
    subjects: pd.DataFrame,
    membership: npt.NDArray[np.int8],
    rule_id: str,
    inside: Text,
    outside: Text,
    unknown: Text,
) -> pd.DataFrame:
    status, message = _judged(
        membership, _describe(subjects).to_numpy(dtype=object), inside, outside, unknown
    )
    return pd.DataFrame(
        {
            "source": subjects["source"].to_numpy(),
            "rule_id": rule_id,
            "subject_table": "assets",
            "subject_id": subjects["asset_id"].to_numpy(),
            "subject_kind": subjects["kind"].to_numpy(),
            "subject_name": subjects["name"].to_numpy(),
            "status": status,
            "message": message,
            "evidence": _basis_evidence(subjects),
        }
    )


def _coverage_gaps(data: EvaluationInput, rule_id: str, kinds: frozenset[str]) -> pd.DataFrame:
    cov = data.coverage
    gaps = cov[~cov["status"].isin(COMPLETE_COVERAGE) & cov["kind"].isin(kinds)]
    region = gaps["region"].fillna("all regions").astype(str)
    subject = (
        gaps["source"].astype(str)
        + "/"
        + gaps["region"].fillna("*").astype(str)
        + "/"
        + gaps["kind"].astype(str)
    )
    return pd.DataFrame(
        {
            "source": gaps["source"].to_numpy(),
            "rule_id": rule_id,
            "subject_table": "coverage",
            "subject_id": subject.to_numpy(),
            "subject_kind": gaps["kind"].to_numpy(),
            "subject_name": (gaps["kind"].astype(str) + " in " + region).to_numpy(),
            "status": "unknown",
            "message": (
                "could not list "
                + gaps["kind"].astype(str)
                + " in "
                + gaps["source"].astype(str)
                + " "
                + region
                + " ("
                + gaps["status"].astype(str)
                + "): what is there is unproven"
            ).to_numpy(),
            "evidence": (
                "coverage "
                + gaps["status"].astype(str)
                + ": "
                + gaps["error"].fillna("").astype(str)
            ).to_numpy(),
        }
    )


def _not_applicable(rule_id: str, what: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["*"],
            "rule_id": [rule_id],
            "subject_table": ["assets"],
            "subject_id": ["*"],
            "subject_kind": ["*"],
            "subject_name": [None],
            "status": ["not_applicable"],
            "message": [f"no {what} in this sweep"],
            "evidence": ["no assets of the kinds this rule reads, and no coverage gaps"],
        }
    )


# Findings per asset and per flow are built and stored a slice at a time (their messages and
# evidence are text per subject: a large estate's would otherwise all be held at once).
SLICE: Final = 40_000


def _slices(mask: npt.NDArray[np.bool_]) -> Iterator[npt.NDArray[np.intp]]:
    """Positions of ``mask``'s true rows, :data:`SLICE` at a time."""
    rows = np.flatnonzero(mask)
    for start in range(0, len(rows), SLICE):
        yield rows[start : start + SLICE]


def _stream(rule_id: str, what: str, parts: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The non-empty ``parts``, or one not-applicable finding if there are none."""
    found = False
    for part in parts:
        if len(part):
            found = True
            yield part
    if not found:
        yield _not_applicable(rule_id, what)


def _combine(rule_id: str, what: str, parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else _not_applicable(rule_id, what)


_CATEGORY_TEXT: Final = {
    "data_plane": ("Data Plane components", ("CISPE-def-4", "CISPE-def-7")),
    "customer_resource": (
        "storage, compute and network resources made available to the customer",
        ("CISPE-def-4",),
    ),
    "control_plane": ("Control Plane components", ("CISPE-def-3", "CISPE-def-4")),
    "network_security": (
        "network and security controls (SDN, DNS, IPAM, secret stores)",
        ("CISPE-def-4",),
    ),
    "identity_recovery": (
        "identity and recovery systems (directories, backup and restore)",
        ("CISPE-def-4",),
    ),
}


# What a placement rule reads of its subjects.
_SUBJECT_COLUMNS: Final = [
    "source",
    "asset_id",
    "kind",
    "name",
    "region",
    "country",
    "city",
    "basis",
    "evidence",
]


def _placement_rule(category: str) -> Rule:
    rule_id = f"placement.{category}"
    what, cispe = _CATEGORY_TEXT[category]
    kinds = kinds_in_category(category)

    def evaluate_placement(data: EvaluationInput) -> Iterator[pd.DataFrame]:
        area = data.area.name

        def verdicts(rows: npt.NDArray[np.intp]) -> pd.DataFrame:
            subjects = data.assets.iloc[rows][_SUBJECT_COLUMNS]  # not every column
            return _verdicts(
                subjects,
                data.location[rows],
                rule_id,
                inside=lambda r: _place(subjects[r], " is in ", ", inside " + area),
                outside=lambda r: _place(subjects[r], " is in ", ", outside " + area),
                unknown=lambda r: (
                    " cannot be placed: "
                    + subjects["evidence"].astype(str)[r].to_numpy(dtype=object)
                ),
            )

        mask = data.assets["category"].eq(category).to_numpy()
        parts = (verdicts(rows) for rows in _slices(mask))
        gaps = _coverage_gaps(data, rule_id, kinds)
        return _stream(rule_id, what, itertools.chain(parts, [gaps]))

    return Rule(
        id=rule_id,
        title=f"{what[0].upper()}{what[1:]} sit inside the area",
        refs=(
            *cispe,
            "CISPE-def-8",
            "CADA-II-1.infrastructure-location",
            "CADA-II-1.data-residency",
        ),
        severity="medium" if category == "network_security" else "high",
        reads=("assets", "placements", "coverage"),
        requirement="location",
        doc=(
            f"Every Critical Asset of category {category} ({', '.join(sorted(kinds))}) is placed "
            "in a country or subdivision of the configured area. An asset whose place cannot be "
            "established, or a kind that could not be listed, is unknown, never pass. CISPE counts "
            f"{what} among Critical Assets; CADA Annex II Level 1 requires infrastructure and "
            "assets to be located, and customer data including metadata and telemetry to "
            "remain, in the Union."
        ),
        evaluate=evaluate_placement,
    )


def _evaluate_control(data: EvaluationInput) -> Iterator[pd.DataFrame]:
    rule_id = "control.operator"
    area = data.area.name

    def verdicts(rows: npt.NDArray[np.intp]) -> pd.DataFrame:
        assets = data.assets.iloc[rows]
        operator = assets["operator"].fillna("an unnamed operator").astype(object).to_numpy()
        jurisdiction = assets["operator_jurisdiction"].fillna("?").astype(object).to_numpy()
        located_inside = data.location[rows] == INSIDE

        def outside(r: npt.NDArray[np.bool_]) -> npt.NDArray[Any]:
            text = (
                " runs on a site operated by "
                + operator[r]
                + " (controlled from "
                + jurisdiction[r]
                + "), outside "
                + area
            )
            also = np.where(located_inside[r], " — although the site itself is inside " + area, "")
            return np.asarray(text + also.astype(object))

        return _verdicts(
            assets,
            data.control[rows],
            rule_id,
            inside=lambda r: (
                " runs on a site operated by "
                + operator[r]
                + " ("
                + jurisdiction[r]
                + "), inside "
                + area
            ),
            outside=outside,
            unknown=" runs on a site whose operator's jurisdiction is not known",
        )

    kinds = frozenset(k.name for k in KINDS)
    parts = (verdicts(rows) for rows in _slices(np.ones(len(data.assets), dtype=bool)))
    gaps = _coverage_gaps(data, rule_id, kinds)
    return _stream(rule_id, "assets", itertools.chain(parts, [gaps]))


def _evaluate_topology_labels(data: EvaluationInput) -> pd.DataFrame:
    rule_id = "lineage.topology_labels"
    assets = data.assets
    by_id = assets.drop_duplicates("asset_id").set_index("asset_id")
    parent = assets["parent_id"]
    parent_platform = parent.map(by_id["platform"])
    subjects_mask = (
        assets["kind"].eq("node")
        & assets["platform"].eq("kubernetes")
        & parent_platform.eq("openstack")
        & assets["region"].notna()
    ).to_numpy()
    subjects = assets[subjects_mask]
    server_region = subjects["parent_id"].map(by_id["region"])
    server_zone = subjects["parent_id"].map(by_id["zone"])
    region_ok = subjects["region"].eq(server_region)
    zone_ok = subjects["zone"].isna() | server_zone.isna() | subjects["zone"].eq(server_zone)
    agree = (region_ok & zone_ok).to_numpy()
    membership = np.where(agree, INSIDE, OUTSIDE).astype(np.int8)
    labels = subjects["region"].astype(str) + "/" + subjects["zone"].fillna("-").astype(str)
    actual = server_region.astype(str) + "/" + server_zone.fillna("-").astype(str)
    verdicts = _verdicts(
        subjects,
        membership,
        rule_id,
        inside=lambda rows: (
            " is labelled " + labels.to_numpy(dtype=object)[rows] + ", as its server runs"
        ),
        outside=lambda rows: (
            " is labelled "
            + labels.to_numpy(dtype=object)[rows]
            + " but its server runs in "
            + actual.to_numpy(dtype=object)[rows]
        ),
        unknown="",
    )
    verdicts["evidence"] = (
        "labels topology.kubernetes.io/region,zone = "
        + labels
        + "; providerID server "
        + subjects["parent_id"].astype(str)
        + " in "
        + actual
    ).to_numpy()
    return _combine(rule_id, "Kubernetes nodes on OpenStack servers of this sweep", [verdicts])


for _category in CATEGORIES:
    register(_placement_rule(_category))

register(
    Rule(
        id="control.operator",
        title="Sites of Critical Assets are operated under the area's jurisdiction",
        refs=(
            "CISPE-badge-sovereign",
            "CISPE-def-13",
            "CADA-II-3.no-third-country-control",
            "CADA-II-4.no-third-country-control",
        ),
        severity="high",
        reads=("assets", "placements", "coverage"),
        requirement="control",
        doc=(
            "The operator of the site or provider region that hosts each Critical Asset is "
            "controlled from a country inside the area. Location and control are separate "
            "questions: a Frankfurt region of a US-headquartered provider is inside by location "
            "and outside by control. CISPE's Sovereign badge requires sovereign ownership and "
            "control; CADA Annex II Levels 3 and 4 exclude third-country control."
        ),
        evaluate=_evaluate_control,
    )
)


register(
    Rule(
        id="lineage.topology_labels",
        title="Node topology labels agree with where their servers run",
        refs=("CISPE-def-4", "CISPE-def-17", "CADA-II-1.infrastructure-location"),
        severity="medium",
        reads=("assets", "placements"),
        requirement="location",
        doc=(
            "A Kubernetes node's topology.kubernetes.io region and zone labels are compared "
            "with the region and availability zone of the OpenStack server its providerID "
            "names, when that server is in the same sweep. Labels steer schedulers and "
            "volume topology; labels that lie put workloads and data somewhere other than "
            "intended, and make label-only placements of other clusters untrustworthy. "
            "Placement itself follows the server (lineage), not the labels."
        ),
        evaluate=_evaluate_topology_labels,
    )
)


# -- flows: where data goes, by location and by control -----------------------------------

_FLOW_REFS: Final = ("CISPE-def-5", "CADA-II-1.data-residency")


def _flow_subjects(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows as rule subjects: a flow is named by its destination, its kind by its channel."""
    shown = (
        flows["endpoint"]
        .fillna(flows["host"])
        .fillna(flows["ip"])
        .fillna("an unreadable destination")
        .astype(str)
    )
    return pd.DataFrame(
        {
            "source": flows["source"].to_numpy(),
            "subject_id": (flows["asset_id"].astype(str) + " -> " + shown).to_numpy(),
            "channel": flows["channel"].astype(str).to_numpy(),
            "destination": shown.to_numpy(),
            "from": (
                flows["asset_kind"].fillna("asset").astype(str)
                + " "
                + flows["asset_name"].fillna(flows["asset_id"]).astype(str)
            ).to_numpy(),
        }
    )


def _flow_findings(
    data: EvaluationInput,
    rule_id: str,
    membership: npt.NDArray[np.int8] | None,
    inside: Callable[[pd.DataFrame], pd.Series],
    outside: Callable[[pd.DataFrame], pd.Series],
    unknown: Callable[[pd.DataFrame], pd.Series],
) -> Iterator[pd.DataFrame]:
    """One finding per flow, :data:`SLICE` flows at a time; each slice keeps the flows'
    positions as its index (``outside`` and friends may look up per-flow arrays by it)."""
    flows = data.flows
    if flows is None or flows.empty or membership is None:
        yield _not_applicable(rule_id, "declared or observed flows")
        return
    for rows in _slices(np.ones(len(flows), dtype=bool)):
        part = flows.iloc[rows]
        yield _flow_verdicts(part, membership[rows], rule_id, inside, outside, unknown)


def _flow_verdicts(
    flows: pd.DataFrame,
    membership: npt.NDArray[np.int8],
    rule_id: str,
    inside: Callable[[pd.DataFrame], pd.Series],
    outside: Callable[[pd.DataFrame], pd.Series],
    unknown: Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    subjects = _flow_subjects(flows)
    lead = (
        subjects["channel"] + " flow from " + subjects["from"] + " to " + subjects["destination"]
    ).to_numpy(dtype=object)

    def per_flow(text: Callable[[pd.DataFrame], pd.Series]) -> Text:
        return lambda rows: text(flows[rows]).to_numpy(dtype=object)

    status, message = _judged(
        membership, lead, per_flow(inside), per_flow(outside), per_flow(unknown)
    )
    evidence = (
        flows["evidence"].fillna("").astype(str)
        + "; resolved by "
        + flows["resolution_basis"].fillna("unknown").astype(str)
    )
    return pd.DataFrame(
        {
            "source": subjects["source"],
            "rule_id": rule_id,
            "subject_table": "flows",
            "subject_id": subjects["subject_id"],
            "subject_kind": subjects["channel"],
            "subject_name": subjects["destination"],
            "status": status,
            "message": message,
            "evidence": evidence.to_numpy(dtype=object),
        }
    )


def _lands(flows: pd.DataFrame) -> pd.Series:
    return " lands in " + flows["dest_country"].fillna("?").astype(str)


def _evaluate_flow_location(data: EvaluationInput) -> Iterator[pd.DataFrame]:
    area = data.area.name
    return _flow_findings(
        data,
        "flow.location",
        data.flow_location,
        inside=lambda f: _lands(f) + ", inside " + area,
        outside=lambda f: _lands(f) + ", outside " + area,
        unknown=lambda f: pd.Series(
            np.where(
                f["resolution_basis"].eq("anywhere").to_numpy(),
                " may go anywhere: its destination is every address",
                " goes to a destination that cannot be placed",
            ),
            index=f.index,
        ),
    )


def _evaluate_flow_control(data: EvaluationInput) -> Iterator[pd.DataFrame]:
    area = data.area.name
    location = data.flow_location

    def operated(f: pd.DataFrame) -> pd.Series:
        return (
            " is operated by "
            + f["dest_operator"].fillna("an unnamed operator").astype(str)
            + " (controlled from "
            + f["operator_jurisdiction"].fillna("?").astype(str)
            + ")"
        )

    def outside(f: pd.DataFrame) -> pd.Series:
        inside_location = (location[f.index.to_numpy()] == INSIDE) if location is not None else []
        also = np.where(inside_location, " — although it lands inside " + area, "")
        return operated(f) + ", outside " + area + also

    return _flow_findings(
        data,
        "flow.control",
        data.flow_control,
        inside=lambda f: operated(f) + ", inside " + area,
        outside=outside,
        unknown=lambda f: pd.Series(
            " goes to a destination whose operator's jurisdiction is not known", index=f.index
        ),
    )


register(
    Rule(
        id="flow.location",
        title="Data flows carrying Critical Data land inside the area",
        refs=(*_FLOW_REFS, "CISPE-def-8"),
        severity="high",
        reads=("flows", "assets", "placements"),
        requirement="location",
        doc=(
            "Every declared or observed flow — telemetry, logs, metrics, traces, backups, "
            "replication, registries, DNS, identity, webhooks, ACME, VPN peers, open egress — "
            "lands in a country of the area. In-cluster and private destinations stay where "
            "their source is; others are resolved through the estate's own addresses, the "
            "endpoint catalog, the provider catalogs and IP data. A destination that cannot be "
            "placed, or an egress rule open to every address, is unknown, never pass. CADA "
            "Annex II Level 1 requires customer data including metadata and telemetry to "
            "remain in the Union; CISPE counts logging, monitoring and backup as Critical."
        ),
        evaluate=_evaluate_flow_location,
    )
)

register(
    Rule(
        id="flow.control",
        title="Data flows go to operators under the area's jurisdiction",
        refs=(
            *_FLOW_REFS,
            "CISPE-badge-sovereign",
            "CADA-II-3.no-third-country-control",
            "CADA-II-4.no-third-country-control",
        ),
        severity="high",
        reads=("flows", "assets", "placements"),
        requirement="control",
        doc=(
            "The operator of every flow's destination is controlled from inside the area. A "
            "Frankfurt endpoint of a US-headquartered SaaS passes location and fails control, "
            "and the finding says so."
        ),
        evaluate=_evaluate_flow_control,
    )
)


def _glob_mask(values: pd.Series, pattern: str) -> np.ndarray:
    return values.astype(str).str.match(fnmatch.translate(pattern)).to_numpy()


def apply_exemptions(
    findings: pd.DataFrame, exemptions: Sequence[ExemptionConfig], today: dt.date
) -> pd.DataFrame:
    """Turn matching ``fail``s into ``exempted`` while the exemption runs; note expired ones."""
    if not exemptions or findings.empty:
        return findings
    findings = findings.copy()
    path = (
        findings["source"].astype(str)
        + "/"
        + findings["subject_kind"].astype(str)
        + "/"
        + findings["subject_name"].fillna(findings["subject_id"]).astype(str)
    )
    for exemption in exemptions:
        failing = findings["status"].eq("fail").to_numpy()
        match = (
            failing
            & _glob_mask(findings["rule_id"], exemption.rule)
            & (
                _glob_mask(path, exemption.subject)
                | _glob_mask(findings["subject_id"], exemption.subject)
            )
        )
        if not match.any():
            continue
        if exemption.expires >= today:
            findings.loc[match, "status"] = "exempted"
            findings.loc[match, "message"] = findings.loc[match, "message"] + (
                f" — exempted until {exemption.expires} by {exemption.owner}: {exemption.reason}"
            )
        else:
            findings.loc[match, "message"] = findings.loc[match, "message"] + (
                f" — the exemption by {exemption.owner} expired on {exemption.expires}"
            )
    return findings


def refs_column(rule_ids: pd.Series) -> pa.Array:
    """The ``refs`` column for findings of ``rule_ids``: each rule's clauses, stored once per
    rule and shared by its rows (an Arrow take, not a Python list per finding)."""
    rules = list(REGISTRY)
    per_rule = pa.array([list(REGISTRY[r].refs) for r in rules], pa.list_(pa.string()))
    index = pd.Categorical(rule_ids.astype(str), categories=rules).codes
    return per_rule.take(pa.array(index, pa.int32()))


def evaluate_rules(
    data: EvaluationInput,
    requirements: Sequence[str],
    exemptions: Sequence[ExemptionConfig] = (),
    today: dt.date | None = None,
) -> Iterator[pd.DataFrame]:
    """Each registered rule's findings in turn (a rule with a finding per asset or per flow
    gives them a slice at a time), severity, area and exemptions applied: a sweep stores each
    frame before the next is built, never all findings at once."""
    for rule in REGISTRY.values():
        if rule.requirement not in requirements:
            frame = _not_applicable(rule.id, f"{rule.requirement} requirement configured")
            frame["message"] = f"the configuration does not require {rule.requirement}"
            parts: Iterable[pd.DataFrame] = [frame]
        else:
            parts = _frames(rule.evaluate(data))
        for frame in parts:
            frame["severity"] = rule.severity
            frame = frame[[*FINDING_COLUMNS, "severity"]].assign(area=data.area.name)
            yield apply_exemptions(frame, exemptions, today or dt.date.today())


def _frames(result: pd.DataFrame | Iterator[pd.DataFrame]) -> Iterable[pd.DataFrame]:
    return [result] if isinstance(result, pd.DataFrame) else result


def evaluate(
    data: EvaluationInput,
    requirements: Sequence[str],
    exemptions: Sequence[ExemptionConfig] = (),
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Run every registered rule whose requirement is configured; one frame of findings."""
    parts = evaluate_rules(data, requirements, exemptions, today)
    return pd.concat(list(parts), ignore_index=True)
