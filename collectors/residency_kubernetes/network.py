"""Network edges: Services, Ingresses, NetworkPolicies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from residency_kubernetes.fields import Items, column, joined, object_rows

__all__ = [
    "INGRESS_ATTRIBUTES",
    "POLICY_ATTRIBUTES",
    "SERVICE_ATTRIBUTES",
    "transform_ingresses",
    "transform_network_policies",
    "transform_services",
]

SERVICE_ATTRIBUTES: Final = ["service_type", "external_name", "load_balancer_ip"]
INGRESS_ATTRIBUTES: Final = ["hosts", "ingress_class"]
POLICY_ATTRIBUTES: Final = ["policy_types", "egress_rules"]


def transform_services(items: Sequence[Mapping[str, Any]], stored_on: str | None) -> pd.DataFrame:
    """Services, with their type, ExternalName target and load-balancer address."""
    page = Items(items)
    lb_ip = joined(page, "status.loadBalancer.ingress", "ip")
    lb_host = joined(page, "status.loadBalancer.ingress", "hostname")
    return object_rows(
        page,
        "service",
        stored_on,
        service_type=column(page, "spec.type").fillna("ClusterIP"),
        external_name=column(page, "spec.externalName"),
        load_balancer_ip=lb_ip.where(lb_ip.notna(), lb_host),
    )


def transform_ingresses(items: Sequence[Mapping[str, Any]], stored_on: str | None) -> pd.DataFrame:
    """Ingresses, with the hosts they serve."""
    page = Items(items)
    return object_rows(
        page,
        "ingress",
        stored_on,
        hosts=joined(page, "spec.rules", "host"),
        ingress_class=column(page, "spec.ingressClassName"),
    )


def transform_network_policies(
    items: Sequence[Mapping[str, Any]], stored_on: str | None
) -> pd.DataFrame:
    """NetworkPolicies, with their policy types and how many egress rules they carry."""
    import pyarrow as pa
    import pyarrow.compute as pc

    page = Items(items)
    egress = page.get("spec.egress")
    counts = (
        pd.Series(pc.list_value_length(egress).to_numpy(zero_copy_only=False), dtype=object)
        if pa.types.is_list(egress.type)
        else pd.Series([None] * len(page), dtype=object)
    )
    types = page.get("spec.policyTypes")
    policy_types = (
        pd.Series(pc.binary_join(types, ",").to_numpy(zero_copy_only=False), dtype=object)
        if pa.types.is_list(types.type) and pa.types.is_string(types.type.value_type)
        else pd.Series([None] * len(page), dtype=object)
    )
    return object_rows(
        page,
        "network_policy",
        stored_on,
        policy_types=policy_types,
        egress_rules=counts.astype("Int64").astype("string").astype(object),
    )
