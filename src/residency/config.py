"""The sweep configuration (``residency.yaml``): area, sources, sites, exemptions, store."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from residency.errors import ConfigError
from residency.yamlio import YamlDocument, load_yaml, validate_document, validation_message

__all__ = [
    "Config",
    "ExemptionConfig",
    "SiteConfig",
    "SourceConfig",
    "load_config",
]

Requirement = Literal["location", "control"]
_BOTH: list[Requirement] = ["location", "control"]


def _upper_code(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class SiteConfig(BaseModel):
    """A user's own site: a region (and optionally zone) of a source, and where it is."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(min_length=1)
    zone: str | None = None
    source: str | None = Field(default=None, description="Only for this source; all if unset.")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    subdivision: str | None = Field(default=None, pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
    city: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    operator: str | None = None
    operator_jurisdiction: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")

    _codes = field_validator("country", "operator_jurisdiction", "subdivision", mode="before")(
        _upper_code
    )

    @model_validator(mode="after")
    def _where(self) -> SiteConfig:
        if self.country is None and (self.lat is None or self.lon is None):
            raise ValueError("a site needs a country, or lat and lon to find it from")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class EndpointConfig(BaseModel):
    """A destination the user declares: their own domains and addresses outside the catalog
    (``logs.fra1.example.eu``, a head-office VPN peer), and where they are."""

    model_config = ConfigDict(extra="forbid")

    match: str | None = Field(default=None, min_length=1, description="A host and its subdomains.")
    ips: list[str] = Field(default_factory=list, description="Addresses instead of a host.")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    operator: str | None = None
    operator_jurisdiction: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")

    @model_validator(mode="after")
    def _one_key(self) -> EndpointConfig:
        if bool(self.match) == bool(self.ips):
            raise ValueError("give either match (a host) or ips")
        for ip in self.ips:
            ipaddress.ip_address(ip)
        return self


class ExemptionConfig(BaseModel):
    """An accepted deviation: turns a matching ``fail`` into ``exempted`` until it expires."""

    model_config = ConfigDict(extra="forbid")

    rule: str = Field(min_length=1, description="Rule id, or a glob such as 'placement.*'.")
    subject: str = Field(
        min_length=1, description="Glob over 'source/kind/name' or the subject id."
    )
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: dt.date


class SourceConfig(BaseModel):
    """One cloud or cluster to sweep; the collector named by ``type`` validates the rest."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    type: str = Field(min_length=1)

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class DnsConfig(BaseModel):
    """Whether host names that nothing else places are looked up, and where."""

    model_config = ConfigDict(extra="forbid")

    resolve: bool = Field(
        default=False,
        description="Look up unplaced host names (their lookups become `dns` flows).",
    )
    nameservers: list[str] = Field(
        default_factory=list,
        description="address[:port] of the nameservers to ask; the system's if empty.",
    )
    timeout_s: float = Field(default=2.0, gt=0, le=60)

    @field_validator("nameservers")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        from residency.hostnames import parse_nameserver

        for text in value:
            try:
                parse_nameserver(text)
            except ValueError as exc:
                raise ValueError(f"{text!r} is not an address[:port] ({exc})") from None
        return value


class Config(BaseModel):
    """The whole configuration file."""

    model_config = ConfigDict(extra="forbid")

    area: str = "eu"
    area_files: list[Path] = Field(default_factory=list)
    requirements: list[Requirement] = Field(default_factory=lambda: _BOTH.copy())
    store: str = "./residency-store"
    concurrency: int = Field(default=4, ge=1, le=64, description="Sources collected at once.")
    sources: list[SourceConfig] = Field(min_length=1)
    sites: list[SiteConfig] = Field(default_factory=list)
    endpoints: list[EndpointConfig] = Field(default_factory=list)
    exemptions: list[ExemptionConfig] = Field(default_factory=list)
    dns: DnsConfig = Field(default_factory=DnsConfig)
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        names = [s.name for s in sources]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"source names must be unique, repeated: {', '.join(duplicated)}")
        return sources

    @field_validator("requirements")
    @classmethod
    def _some_requirement(cls, value: list[Requirement]) -> list[Requirement]:
        if not value:
            raise ValueError("name at least one of: location, control")
        return sorted(set(value), key=["location", "control"].index)

    def resolve(self, path: str | Path) -> Path:
        """A path from the file, relative to the file's folder."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def store_location(self) -> str:
        """The store as a local path or a filesystem URL."""
        return self.store if "://" in self.store else str(self.resolve(self.store))


def load_config(path: Path) -> Config:
    """Read and validate ``path``; any mistake is one ``ConfigError`` naming file, line and key."""
    doc = load_yaml(path, "configuration file")
    config = validate_document(doc, Config, "configuration")
    config.base_dir = path.parent.resolve()
    config.area_files = [config.resolve(p) for p in config.area_files]
    _validate_source_options(doc, config)
    return config


def _validate_source_options(doc: YamlDocument, config: Config) -> None:
    from residency.collect import collector_types

    known = collector_types()
    for index, source in enumerate(config.sources):
        collector = known.get(source.type)
        if collector is None:
            raise ConfigError(
                f"{doc.where(['sources', index, 'type'])}: sources[{index}].type: unknown source "
                f"type '{source.type}' (installed: {', '.join(sorted(known)) or 'none'})"
            )
        try:
            options = collector.Options.model_validate(source.options)
        except ValidationError as exc:
            raise ConfigError(validation_message(doc, exc, ["sources", index])) from None
        # Paths in a collector's options (a kubeconfig, a clouds.yaml) are relative to
        # this file, like every other path in it.
        extra = source.model_extra if source.model_extra is not None else {}
        for name in type(options).model_fields:
            value = getattr(options, name)
            if isinstance(value, Path) and name in extra:
                extra[name] = str(config.resolve(value))
            elif isinstance(value, list) and name in extra:
                # A list of entries with paths (an openstack source's config_files).
                for item, raw in zip(value, extra[name], strict=True):
                    if isinstance(item, BaseModel) and isinstance(raw, dict):
                        for key in type(item).model_fields:
                            if isinstance(getattr(item, key), Path) and key in raw:
                                raw[key] = str(config.resolve(getattr(item, key)))
