"""Provider region catalogs: where each cloud region sits and who runs it.

One YAML file per provider lives under ``regions/providers/<provider>.yaml``. Each file names
the operating entity and the jurisdiction of its ultimate controlling headquarters, and lists
the provider's regions with their aliases, availability zones, country and a city-level point.

:func:`provider_regions_frame` flattens every catalog into one table the locate step merges on;
:func:`match_auth_host` maps an OpenStack Keystone host name to the provider that runs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from residency.data import regions_path
from residency.errors import DataError
from residency.yamlio import load_yaml, validate_document

__all__ = [
    "FRAME_COLUMNS",
    "Provider",
    "ProviderRegion",
    "load_providers",
    "match_auth_host",
    "provider_regions_frame",
]

FRAME_COLUMNS: Final = (
    "provider",
    "region",
    "zone",
    "country",
    "subdivision",
    "city",
    "lat",
    "lon",
    "operator",
    "operator_jurisdiction",
    "source",
    "evidence",
)

_PROVIDER_ID: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_COUNTRY: Final = re.compile(r"[A-Z]{2}")
_SUBDIVISION: Final = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
_HOST: Final = re.compile(
    r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
)
_URL: Final = re.compile(r"https?://[^\s/]+(?:/\S*)?")


def _country_code(value: str, what: str) -> str:
    if not _COUNTRY.fullmatch(value):
        raise ValueError(f"{what} must be an ISO 3166-1 alpha-2 code of 2 uppercase letters")
    return value


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    return value


def _url(value: str) -> str:
    if not _URL.fullmatch(value):
        raise ValueError("must be an http(s) URL")
    return value


def _unique(names: Sequence[str], what: str) -> None:
    seen: dict[str, str] = {}
    for name in names:
        key = name.casefold()
        if key in seen:
            raise ValueError(f"duplicate {what} {name!r} (same as {seen[key]!r}, ignoring case)")
        seen[key] = name


class ProviderRegion(BaseModel):
    """One region of a provider, as its API or console names it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    aliases: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    country: str
    subdivision: str | None = None
    city: str
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    operator: str | None = None
    jurisdiction: str | None = None
    source: str | None = None

    @field_validator("id", "city", "operator")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _non_blank(value)

    @field_validator("aliases", "zones")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            _non_blank(name)
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return _country_code(value, "country")

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str | None) -> str | None:
        return None if value is None else _country_code(value, "jurisdiction")

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        return None if value is None else _url(value)

    @field_validator("subdivision")
    @classmethod
    def _subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if value is not None and (
            not _SUBDIVISION.fullmatch(value) or (country and value[:2] != country)
        ):
            raise ValueError(f"must be an ISO 3166-2 code of the region's country {country}")
        return value

    @property
    def names(self) -> tuple[str, ...]:
        """The region id followed by its aliases."""
        return (self.id, *self.aliases)


class Provider(BaseModel):
    """A provider's catalog: who operates it, under which jurisdiction, and its regions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str
    name: str
    operator: str
    jurisdiction: str
    source: str
    auth_hosts: tuple[str, ...] = ()
    regions: tuple[ProviderRegion, ...] = Field(min_length=1)

    @field_validator("provider")
    @classmethod
    def _provider_id(cls, value: str) -> str:
        if not _PROVIDER_ID.fullmatch(value):
            raise ValueError("must be lowercase letters, digits and single hyphens")
        return value

    @field_validator("name", "operator")
    @classmethod
    def _text(cls, value: str) -> str:
        return _non_blank(value)

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str) -> str:
        return _country_code(value, "jurisdiction")

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        return _url(value)

    @field_validator("auth_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for host in value:
            if not _HOST.fullmatch(host):
                raise ValueError(f"{host!r} is not a lowercase host name (no scheme, port or path)")
        _unique(value, "auth host")
        return value

    @field_validator("regions")
    @classmethod
    def _unique_names(cls, value: tuple[ProviderRegion, ...]) -> tuple[ProviderRegion, ...]:
        _unique([name for region in value for name in region.names], "region id or alias")
        _unique([zone for region in value for zone in region.zones], "zone")
        return value

    def operator_of(self, region: ProviderRegion) -> str:
        """The entity operating ``region``: its own override, else the provider's."""
        return region.operator or self.operator

    def jurisdiction_of(self, region: ProviderRegion) -> str:
        """The jurisdiction of ``region``'s operator: its own override, else the provider's."""
        return region.jurisdiction or self.jurisdiction

    def region(self, name: str) -> ProviderRegion | None:
        """The region whose id or alias is ``name`` (ignoring case), if any."""
        key = name.casefold()
        for region in self.regions:
            if any(key == n.casefold() for n in region.names):
                return region
        return None


# --------------------------------------------------------------------------- YAML reading


def _load_file(path: Path) -> Provider:
    doc = load_yaml(path, "provider catalog", DataError)
    provider = validate_document(doc, Provider, "provider catalog", DataError)
    if provider.provider != path.stem:
        raise DataError(
            f"{doc.where(('provider',))}: provider: {provider.provider!r} must equal the file "
            f"name stem {path.stem!r}"
        )
    return provider


@cache
def _load_directory(directory: Path) -> Mapping[str, Provider]:
    if not directory.is_dir():
        raise DataError(f"{directory}: provider catalog folder not found")
    providers: dict[str, Provider] = {}
    owners: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        provider = _load_file(path)
        for host in provider.auth_hosts:
            if host in owners:
                raise DataError(
                    f"{path}: auth_hosts: {host!r} is also listed by provider {owners[host]!r}"
                )
            owners[host] = provider.provider
        providers[provider.provider] = provider
    return providers


def _directory(directory: Path | None) -> Path:
    return (regions_path("providers") if directory is None else Path(directory)).resolve()


def load_providers(directory: Path | None = None) -> dict[str, Provider]:
    """Every provider catalog in ``directory`` (default: the packaged one), by provider id.

    Results are cached per folder. A malformed file raises :class:`DataError` naming the
    file, the line and the offending key.
    """
    return dict(_load_directory(_directory(directory)))


# --------------------------------------------------------------------------- lookups


def _rows(providers: Mapping[str, Provider]) -> Iterator[dict[str, object]]:
    for pid, provider in providers.items():
        for region in provider.regions:
            place = f"({region.city}, {region.country})"
            common: dict[str, object] = {
                "provider": pid,
                "country": region.country,
                "subdivision": region.subdivision,
                "city": region.city,
                "lat": region.lat,
                "lon": region.lon,
                "operator": provider.operator_of(region),
                "operator_jurisdiction": provider.jurisdiction_of(region),
                "source": region.source or provider.source,
            }
            for name in region.names:
                via = "" if name == region.id else f" alias {name}"
                for zone in (None, *region.zones):
                    at = "" if zone is None else f" zone {zone}"
                    evidence = f"provider catalog {pid} region {region.id}{via}{at} {place}"
                    yield {**common, "region": name, "zone": zone, "evidence": evidence}


@cache
def _frame(directory: Path) -> pd.DataFrame:
    frame = pd.DataFrame(list(_rows(_load_directory(directory))), columns=list(FRAME_COLUMNS))
    return frame.astype({"lat": "float64", "lon": "float64"})


def provider_regions_frame(directory: Path | None = None) -> pd.DataFrame:
    """One row per (provider, region id or alias, zone or None), for vectorised merges.

    Columns are :data:`FRAME_COLUMNS`. Each region contributes a row per name (its id and
    each alias) with ``zone`` empty, and a row per name and zone, so a merge on
    ``(provider, region)``, on ``(provider, region, zone)`` or, after dropping duplicate
    ``(provider, zone)`` pairs, on ``(provider, zone)`` all find the region's location.
    Names keep the provider's spelling; compare them case-insensitively (a catalog never
    holds two names differing only in case). ``operator`` and ``operator_jurisdiction``
    already apply per-region overrides.
    """
    return _frame(_directory(directory)).copy()


def _host_of(host: str) -> str:
    text = host.strip()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    else:
        text = text.split("/", 1)[0].rsplit("@", 1)[-1]
        if text.count(":") == 1:
            text = text.split(":", 1)[0]
    return text.rstrip(".").lower()


def match_auth_host(host: str, directory: Path | None = None) -> str | None:
    """The id of the provider whose Keystone is at ``host``, else ``None``.

    The match is exact and case-insensitive; a full auth URL such as
    ``https://auth.cloud.ovh.net/v3`` or a ``host:port`` is reduced to its host name first.
    """
    wanted = _host_of(host)
    if not wanted:
        return None
    for pid, provider in _load_directory(_directory(directory)).items():
        if wanted in provider.auth_hosts:
            return pid
    return None
