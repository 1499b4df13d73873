"""Real Keystone, Glance, Cinder and Neutron on 127.0.0.1, seeded from the sample estate.

The services live in their own virtual environment (``openstack-services.txt`` beside this
file pins it), apart from the project's: they need old-style OpenStack libraries that the
project must not depend on. The test suite only *uses* that environment; CI creates it::

    python tests/openstack_services.py --venv .venv-openstack install
    python tests/openstack_services.py --venv .venv-openstack up      # serve until Ctrl-C

Layout: one Keystone for the whole cloud, and for each region its own Glance, Cinder and
Neutron on their own SQLite databases, so that the regions hold different data, as a
real multi-region cloud does. Every API runs under gunicorn (one worker, four threads),
without a message bus (``transport_url = fake://``) and without Nova: volumes created
through Cinder stay ``creating`` until an admin status reset, and backup rows are written
into Cinder's database directly, since nothing runs ``cinder-backup``.

The module is importable from the project's environment (it uses openstacksdk from
there, over HTTP) and needs only the standard library for ``install``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import grp
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import openstack.connection
    import pandas as pd

    from residency.sample import Estate

__all__ = [
    "DEFAULT_REGIONS",
    "DEFAULT_VENV",
    "REQUIREMENTS",
    "OpenStackServices",
    "Seeded",
    "ServicesError",
    "add_user",
    "build_templates",
    "install",
    "seed",
    "services_venv_ready",
]

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = Path(__file__).with_name("openstack-services.txt")
DEFAULT_VENV = ROOT / ".venv-openstack"

# The regions (and their availability zones) of the sample estate's private cloud that
# are served; "lab" is left out.
DEFAULT_REGIONS: dict[str, list[str]] = {"fra1": ["fra1-a", "fra1-b"], "ams1": ["ams1-a"]}

# Where each API's WSGI application lives, and how its configuration is found: keystone
# and glance read a directory named by an environment variable, cinder and neutron take
# ``--config-file`` arguments.
_WSGI = {
    "keystone": "keystone.wsgi.api",
    "glance": "glance.wsgi.api",
    "cinder": "cinder.wsgi.api",
    "neutron": "neutron.wsgi.api",
}
_CONF = {
    "keystone": "keystone.conf",
    "glance": "glance-api.conf",
    "cinder": "cinder.conf",
    "neutron": "neutron.conf",
}
_SERVICE_TYPES = {
    "glance": ("image", "Image service"),
    "cinder": ("block-storage", "Block storage service"),
    "neutron": ("network", "Networking service"),
}

# Empty, schema-complete databases that ``install`` makes inside the services' venv.
_TEMPLATES = "residency-templates"

# oslo.config parses sys.argv, which under gunicorn holds gunicorn's own arguments.
_SHIM = '''\
"""Loads an OpenStack WSGI application with oslo.config's command line emptied."""
import importlib
import json
import os
import sys

sys.argv = sys.argv[:1] + json.loads(os.environ.get("RESIDENCY_WSGI_ARGS", "[]"))
application = importlib.import_module(os.environ["RESIDENCY_WSGI_MODULE"]).application
'''

# The RPC and object versions this Cinder speaks, for the cinder-volume service rows.
_CINDER_VERSIONS = """\
import json
from cinder.objects import base
from cinder.volume import rpcapi
print(json.dumps([rpcapi.VolumeAPI.RPC_API_VERSION, base.OBJ_VERSIONS.get_current()]))
"""
_NEUTRON_CREATE_ALL = """\
import sys
import sqlalchemy
from neutron.db.migration.models import head
engine = sqlalchemy.create_engine(sys.argv[1])
head.get_metadata().create_all(engine)
engine.dispose()
"""


def install(
    venv: Path, requirements: Path = REQUIREMENTS, python: str | None = None, force: bool = False
) -> float:
    """Create the services' virtual environment at ``venv`` and install ``requirements``.

    Also makes the database templates that cut start-up time. Does nothing (and returns
    0) if ``venv`` was already made from the same requirements, unless ``force``. Returns
    the seconds it took. For CI's setup and developers: tests never install anything.
    """
    venv = Path(venv)
    wanted = hashlib.sha256(Path(requirements).read_bytes()).hexdigest()
    stamp = venv / "residency-requirements.sha256"
    current = stamp.read_text().strip() if stamp.is_file() else ""
    if not force and current == wanted and services_venv_ready(venv) and _templates(venv):
        return 0.0
    started = time.monotonic()
    if python is None:
        # The pins are for Python 3.11, like the project's own environment.
        same = sys.version_info[:2] == (3, 11)
        python = sys.executable if same else (shutil.which("python3.11") or sys.executable)
    subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-q", "-r", str(requirements)], check=True)
    subprocess.run([*pip, "check"], check=True)
    build_templates(venv)
    stamp.write_text(wanted + "\n")
    return time.monotonic() - started


def services_venv_ready(venv: Path) -> bool:
    """Whether ``venv`` holds every program the services need."""
    needed = ["gunicorn", "keystone-manage", "glance-manage", "cinder-manage"]
    needed += ["neutron-db-manage", "openstack"]
    return all((venv / "bin" / name).is_file() for name in needed)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ini(sections: Mapping[str, Mapping[str, object]]) -> str:
    lines: list[str] = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in options.items()]
        lines.append("")
    return "\n".join(lines)


def _rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants, in KiB (0 once it is gone)."""
    total = 0
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        total += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
        )
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, StopIteration):
        return total
    return total + sum(_rss_kib(int(child)) for child in children)


@dataclass
class _Server:
    """One API under gunicorn."""

    service: str
    region: str | None
    port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return self.service if self.region is None else f"{self.service}@{self.region}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "api.log"


@dataclass
class Timings:
    """Seconds spent in each phase of ``OpenStackServices.start``."""

    databases: float = 0.0
    keystone: float = 0.0
    catalog: float = 0.0
    apis: float = 0.0
    total: float = 0.0


class ServicesError(RuntimeError):
    """The services could not be set up; the message names the log to read."""


class OpenStackServices:
    """Keystone plus, per region, Glance, Cinder and Neutron, as a context manager.

    ``regions`` maps region name to its availability zones (Cinder knows the zones from
    ``cinder-volume`` service rows that are written into its database, so volumes can be
    created in them). ``workdir`` is left in place if given, else a temporary directory is
    made and removed on exit.
    """

    admin_username = "admin"
    admin_project = "admin"
    user_domain = "Default"
    project_domain = "Default"
    service_project = "service"

    def __init__(
        self,
        venv: Path,
        workdir: Path | None = None,
        regions: Mapping[str, Sequence[str]] | None = None,
        *,
        startup_timeout: float = 180.0,
    ) -> None:
        self.venv = Path(venv).resolve()
        if not services_venv_ready(self.venv):
            raise ServicesError(f"{self.venv} is not a services environment: run install()")
        self.regions: dict[str, list[str]] = {
            name: list(zones) for name, zones in (regions or DEFAULT_REGIONS).items()
        }
        if not self.regions:
            raise ValueError("at least one region is needed")
        self._own_workdir = workdir is None
        self._workdir_arg = workdir
        self.workdir = Path()
        self.startup_timeout = startup_timeout
        self.admin_password = secrets.token_urlsafe(16)
        self._service_password = secrets.token_urlsafe(16)
        self.servers: list[_Server] = []
        self.timings = Timings()
        self._started = False

    # -- public facts -------------------------------------------------------------------

    @property
    def region_names(self) -> list[str]:
        return list(self.regions)

    @property
    def keystone(self) -> _Server:
        return self.servers[0]

    @property
    def auth_url(self) -> str:
        return f"{self.keystone.url}/v3"

    def server(self, service: str, region: str | None = None) -> _Server:
        return next(s for s in self.servers if s.service == service and s.region == region)

    def cinder_database(self, region: str) -> Path:
        return self.server("cinder", region).home / "cinder.db"

    def admin_auth(self) -> dict[str, str]:
        return {
            "auth_url": self.auth_url,
            "username": self.admin_username,
            "password": self.admin_password,
            "project_name": self.admin_project,
            "user_domain_name": self.user_domain,
            "project_domain_name": self.project_domain,
        }

    def connect(self, region: str | None = None, **auth: str) -> openstack.connection.Connection:
        """An openstacksdk connection, as admin unless ``auth`` says otherwise."""
        import openstack

        return openstack.connect(
            auth={**self.admin_auth(), **auth},
            region_name=region or self.region_names[0],
            identity_api_version="3",
            interface="public",
            load_yaml_config=False,
            load_envvars=False,
        )

    def clouds_yaml(
        self,
        path: Path,
        cloud: str = "residency-local",
        *,
        username: str | None = None,
        password: str | None = None,
        project_name: str | None = None,
    ) -> Path:
        """Add (or replace) ``cloud`` in the clouds.yaml at ``path``; admin by default."""
        import yaml

        path = Path(path)
        data: dict[str, Any] = {}
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        auth = self.admin_auth()
        if username is not None:
            auth["username"] = username
            auth["password"] = password or ""
        if project_name is not None:
            auth["project_name"] = project_name
        data.setdefault("clouds", {})[cloud] = {
            "auth": auth,
            "auth_type": "password",
            "identity_api_version": 3,
            "interface": "public",
            "regions": self.region_names,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    def memory(self) -> dict[str, int]:
        """Resident memory per API (gunicorn master and worker), in bytes."""
        return {
            s.name: _rss_kib(s.process.pid) * 1024
            for s in self.servers
            if s.process is not None and s.process.poll() is None
        }

    def env(self) -> dict[str, str]:
        """OS_* variables for the ``openstack`` CLI, as admin in the first region."""
        return {
            "OS_AUTH_URL": self.auth_url,
            "OS_USERNAME": self.admin_username,
            "OS_PASSWORD": self.admin_password,
            "OS_PROJECT_NAME": self.admin_project,
            "OS_USER_DOMAIN_NAME": self.user_domain,
            "OS_PROJECT_DOMAIN_NAME": self.project_domain,
            "OS_REGION_NAME": self.region_names[0],
            "OS_IDENTITY_API_VERSION": "3",
            "OS_INTERFACE": "public",
        }

    def openstack_cli(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the services environment's ``openstack`` CLI (python-openstackclient).

        It authenticates with ``env``'s OS_* variables (for instance ``OS_CLOUD`` and
        ``OS_CLIENT_CONFIG_FILE``), by default as admin in the first region.
        """
        clean = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        return subprocess.run(
            [str(self.venv / "bin" / "openstack"), *args],
            env={**clean, **(self.env() if env is None else env)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> OpenStackServices:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._started:
            raise RuntimeError("already started")
        self._started = True
        began = time.monotonic()
        if self._workdir_arg is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="residency-openstack-"))
        else:
            self.workdir = Path(self._workdir_arg).resolve()
            self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._layout()
            self._databases()
            self.timings.databases = time.monotonic() - began
            mark = time.monotonic()
            self._launch(self.keystone)
            self._wait_up([self.keystone])
            self.timings.keystone = time.monotonic() - mark
            mark = time.monotonic()
            self._catalog()
            self.timings.catalog = time.monotonic() - mark
            mark = time.monotonic()
            for server in self.servers[1:]:
                if server.process is None:
                    self._launch(server)
            self._wait_up(self.servers[1:])
            self._wait_authenticated()
            self.timings.apis = time.monotonic() - mark
        except BaseException:
            self.stop()
            raise
        self.timings.total = time.monotonic() - began

    def stop(self) -> None:
        """Stop every API (TERM, then KILL after 10 s) and remove the temporary workdir."""
        running = [s.process for s in self.servers if s.process and s.process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._own_workdir and self.workdir != Path() and self.workdir.exists():
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- setting up ---------------------------------------------------------------------

    def _layout(self) -> None:
        (self.workdir / "shim").mkdir(exist_ok=True)
        (self.workdir / "shim" / "residency_wsgi.py").write_text(_SHIM)
        self.servers = [_Server("keystone", None, _free_port(), self.workdir / "keystone")]
        for region in self.regions:
            for service in ("glance", "cinder", "neutron"):
                home = self.workdir / region / service
                self.servers.append(_Server(service, region, _free_port(), home))
        for server in self.servers:
            server.home.mkdir(parents=True, exist_ok=True)
            (server.home / "locks").mkdir(exist_ok=True)
            getattr(self, f"_configure_{server.service}")(server)

    def _authtoken(self, username: str, region: str) -> dict[str, object]:
        return {
            "www_authenticate_uri": self.auth_url,
            "auth_url": self.auth_url,
            "auth_type": "password",
            "project_domain_name": self.project_domain,
            "user_domain_name": self.user_domain,
            "project_name": self.service_project,
            "username": username,
            "password": self._service_password,
            "region_name": region,
            "interface": "internal",
            "service_token_roles_required": "true",
        }

    def _configure_keystone(self, server: _Server) -> None:
        home = server.home
        (home / "keystone.conf").write_text(
            _ini(
                {
                    "DEFAULT": {"log_file": home / "keystone.log", "debug": "false"},
                    "database": {"connection": f"sqlite:///{home / 'keystone.db'}"},
                    "token": {"provider": "fernet"},
                    "fernet_tokens": {"key_repository": home / "fernet-keys"},
                    "credential": {"key_repository": home / "credential-keys"},
                    "oslo_concurrency": {"lock_path": home / "locks"},
                }
            )
        )

    def _configure_glance(self, server: _Server) -> None:
        home = server.home
        for folder in ("images", "staging", "tasks"):
            (home / folder).mkdir(exist_ok=True)
        assert server.region is not None
        (home / "glance-api.conf").write_text(
            _ini(
                {
                    "DEFAULT": {
                        "log_file": home / "glance.log",
                        "enabled_backends": "fs:file",
                        "worker_self_reference_url": server.url,
                        "image_size_cap": 64 * 1024 * 1024,
                    },
                    "database": {"connection": f"sqlite:///{home / 'glance.db'}"},
                    "glance_store": {"default_backend": "fs"},
                    "fs": {"filesystem_store_datadir": f"{home / 'images'}/"},
                    "os_glance_staging_store": {"filesystem_store_datadir": f"{home / 'staging'}/"},
                    "os_glance_tasks_store": {"filesystem_store_datadir": f"{home / 'tasks'}/"},
                    "paste_deploy": {
                        "flavor": "keystone",
                        "config_file": self.venv / "etc" / "glance" / "glance-api-paste.ini",
                    },
                    "keystone_authtoken": self._authtoken("glance", server.region),
                    "oslo_concurrency": {"lock_path": home / "locks"},
                }
            )
        )

    def _configure_cinder(self, server: _Server) -> None:
        home = server.home
        assert server.region is not None
        zone = self.regions[server.region][0]
        quotas = ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "groups")
        (home / "cinder.conf").write_text(
            _ini(
                {
                    "DEFAULT": {
                        "log_file": home / "cinder.log",
                        "state_path": home,
                        "transport_url": "fake://",
                        "auth_strategy": "keystone",
                        "api_paste_config": self.venv / "etc" / "cinder" / "api-paste.ini",
                        "storage_availability_zone": zone,
                        "default_availability_zone": zone,
                        "per_volume_size_limit": -1,
                        **{f"quota_{name}": -1 for name in quotas},
                    },
                    "database": {"connection": f"sqlite:///{home / 'cinder.db'}"},
                    "keystone_authtoken": self._authtoken("cinder", server.region),
                    "oslo_concurrency": {"lock_path": home / "locks"},
                }
            )
        )

    def _configure_neutron(self, server: _Server) -> None:
        home = server.home
        assert server.region is not None
        quotas = ("network", "subnet", "port", "router", "floatingip", "security_group")
        quotas_rule = ("security_group_rule",)
        (home / "neutron.conf").write_text(
            _ini(
                {
                    "DEFAULT": {
                        "log_file": home / "neutron.log",
                        "state_path": home,
                        "core_plugin": "ml2",
                        "service_plugins": "router",
                        "transport_url": "fake://",
                        "auth_strategy": "keystone",
                        "api_paste_config": self.venv / "etc" / "neutron" / "api-paste.ini",
                        "notify_nova_on_port_status_changes": "false",
                        "notify_nova_on_port_data_changes": "false",
                        "api_workers": 1,
                        "rpc_workers": 0,
                    },
                    "database": {"connection": f"sqlite:///{home / 'neutron.db'}"},
                    "keystone_authtoken": self._authtoken("neutron", server.region),
                    "ml2": {
                        "type_drivers": "flat,vlan,local",
                        "tenant_network_types": "local",
                        "mechanism_drivers": "",
                        "extension_drivers": "port_security",
                    },
                    "ml2_type_flat": {"flat_networks": "public"},
                    "quotas": {f"quota_{name}": -1 for name in quotas + quotas_rule},
                    "oslo_concurrency": {"lock_path": home / "locks"},
                }
            )
        )

    def _bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def _schema_steps(self, server: _Server) -> list[list[str]]:
        """The commands that create ``server``'s database schema."""
        home = server.home
        conf = ["--config-file", str(home / _CONF[server.service])]
        if server.service == "keystone":
            return [[self._bin("keystone-manage"), *conf, "db_sync"]]
        if server.service == "glance":
            return [[self._bin("glance-manage"), *conf, "db", "sync"]]
        if server.service == "cinder":
            return [[self._bin("cinder-manage"), *conf, "db", "sync"]]
        url = f"sqlite:///{home / 'neutron.db'}"
        return [
            [self._bin("python"), "-c", _NEUTRON_CREATE_ALL, url],
            [self._bin("neutron-db-manage"), *conf, "stamp", "heads"],
        ]

    def _run_steps(self, server: _Server, steps: Sequence[Sequence[str]]) -> str:
        with (server.home / "setup.log").open("a", encoding="utf-8") as log:
            output = ""
            for step in steps:
                done = subprocess.run(
                    step, capture_output=True, text=True, cwd=server.home, check=False
                )
                log.write(f"$ {Path(step[0]).name} {step[-1]}\n{done.stdout}{done.stderr}")
                if done.returncode != 0:
                    raise ServicesError(
                        f"{server.name}: {Path(step[0]).name} {step[-1]!r} failed "
                        f"(exit {done.returncode}); see {server.home / 'setup.log'}"
                    )
                output = done.stdout
            return output

    def _databases(self) -> None:
        """Create every database (copies of the templates if there are) and keys; bootstrap.

        Everything runs in parallel: on two cores, schema creation from scratch takes
        ~13 s, copying the templates ``install`` made takes ~0 s.
        """
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        ks = self.keystone
        ks_conf = ["--config-file", str(ks.home / "keystone.conf")]
        owner = ["--keystone-user", user, "--keystone-group", group]
        templates = _templates(self.venv)
        bootstrap = [
            self._bin("keystone-manage"),
            *ks_conf,
            "bootstrap",
            "--bootstrap-password",
            self.admin_password,
            "--bootstrap-username",
            self.admin_username,
            "--bootstrap-project-name",
            self.admin_project,
            "--bootstrap-region-id",
            self.region_names[0],
            "--bootstrap-public-url",
            f"{self.auth_url}/",
            "--bootstrap-internal-url",
            f"{self.auth_url}/",
        ]
        fernet = [self._bin("keystone-manage"), *ks_conf, "fernet_setup", *owner]
        jobs: list[tuple[_Server, list[list[str]]]] = [
            (ks, [[self._bin("keystone-manage"), *ks_conf, "credential_setup", *owner]]),
        ]
        for server in self.servers:
            if templates is not None:
                shutil.copyfile(templates / f"{server.service}.db", _database(server))
                steps = []
            else:
                steps = self._schema_steps(server)
            if server.service == "keystone":
                steps += [fernet, bootstrap]  # bootstrap needs the fernet keys
            if steps:
                jobs.append((server, steps))
        if templates is not None:
            versions = json.loads((templates / "cinder-versions.json").read_text())
            self._add_zones(versions)
            # Their databases are complete: let them load while keystone is set up.
            for server in self.servers[1:]:
                self._launch(server)
        else:
            cinder = self.server("cinder", self.region_names[0])
            jobs.append((cinder, [[self._bin("python"), "-c", _CINDER_VERSIONS]]))
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            outputs = list(pool.map(lambda job: self._run_steps(*job), jobs))
        if templates is None:
            self._add_zones(json.loads(outputs[-1]))

    def _add_zones(self, versions: Sequence[str]) -> None:
        for region, zones in self.regions.items():
            _add_volume_services(self.cinder_database(region), zones, *versions)

    def _launch(self, server: _Server) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env["RESIDENCY_WSGI_MODULE"] = _WSGI[server.service]
        if server.service == "keystone":
            env["OS_KEYSTONE_CONFIG_DIR"] = str(server.home)
        elif server.service == "glance":
            env["OS_GLANCE_CONFIG_DIR"] = str(server.home)
        else:
            conf = server.home / f"{server.service}.conf"
            env["RESIDENCY_WSGI_ARGS"] = json.dumps(["--config-file", str(conf)])
        command = [
            self._bin("gunicorn"),
            "--workers",
            "1",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{server.port}",
            "--timeout",
            "300",
            "--graceful-timeout",
            "5",
            "--pythonpath",
            str(self.workdir / "shim"),
            "--error-logfile",
            str(server.log),
            "--name",
            f"residency-{server.name}",
            "residency_wsgi:application",
        ]
        with (server.home / "stdout.log").open("ab") as out:
            server.process = subprocess.Popen(
                command,
                cwd=server.home,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_up(self, servers: Sequence[_Server]) -> None:
        """Wait until each server answers its root URL with anything below 500."""
        deadline = time.monotonic() + self.startup_timeout
        pending = list(servers)
        while pending:
            for server in list(pending):
                assert server.process is not None
                if server.process.poll() is not None:
                    raise ServicesError(
                        f"{server.name} exited with {server.process.returncode}; "
                        f"see {server.log} and {server.home}"
                    )
                try:
                    with urllib.request.urlopen(f"{server.url}/", timeout=5) as response:
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                except OSError:
                    continue
                if status < 500:
                    pending.remove(server)
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise ServicesError(f"not up after {self.startup_timeout:.0f} s: {names}")
            if pending:
                time.sleep(0.2)

    def _catalog(self) -> None:
        """Regions, service users and endpoints (public and internal) for every region."""
        conn = self.connect()
        identity = conn.identity
        for region in self.region_names[1:]:
            identity.create_region(id=region, description=f"region {region}")
        keystone_service = next(identity.services(type="identity"))
        for region in self.region_names[1:]:
            for interface in ("public", "internal"):
                identity.create_endpoint(
                    service_id=keystone_service.id,
                    interface=interface,
                    url=f"{self.auth_url}/",
                    region_id=region,
                )
        domain = identity.find_domain(self.user_domain)
        service_project = identity.create_project(
            name=self.service_project, domain_id=domain.id, description="service users"
        )
        admin_role = identity.find_role("admin")
        for name, (service_type, description) in _SERVICE_TYPES.items():
            user = identity.create_user(
                name=name, password=self._service_password, domain_id=domain.id
            )
            identity.assign_project_role_to_user(service_project, user, admin_role)
            service = identity.create_service(name=name, type=service_type, description=description)
            for region in self.region_names:
                url = self.server(name, region).url
                if name == "cinder":
                    url += "/v3/$(project_id)s"
                for interface in ("public", "internal"):
                    identity.create_endpoint(
                        service_id=service.id, interface=interface, url=url, region_id=region
                    )
        conn.close()

    def _wait_authenticated(self) -> None:
        """A token-checked list call against every API in every region."""
        deadline = time.monotonic() + self.startup_timeout
        for region in self.region_names:
            conn = self.connect(region)
            try:
                while True:
                    try:
                        list(conn.image.images(limit=1))
                        list(conn.block_storage.volumes(limit=1))
                        list(conn.network.networks(limit=1))
                        break
                    except Exception as error:
                        if time.monotonic() > deadline:
                            raise ServicesError(f"{region}: APIs do not answer: {error}") from error
                        time.sleep(0.5)
            finally:
                conn.close()


def _database(server: _Server) -> Path:
    return server.home / f"{server.service}.db"


def _templates(venv: Path) -> Path | None:
    """The folder of empty databases that ``install`` made in ``venv``, if it is complete."""
    folder = venv / _TEMPLATES
    return folder if (folder / "complete").is_file() else None


def build_templates(venv: Path) -> Path:
    """Make empty, schema-complete databases of every service once, for fast start-ups.

    They live in the services environment (so they match its versions) and are copied
    for each start instead of running the database migrations again.
    """
    venv = Path(venv).resolve()
    folder = venv / _TEMPLATES
    shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="residency-templates-") as scratch:
        services = OpenStackServices(venv, Path(scratch), {"template": ["template-a"]})
        services.workdir = Path(scratch)
        services._layout()
        jobs = [(s, services._schema_steps(s)) for s in services.servers]
        cinder = services.server("cinder", "template")
        jobs.append((cinder, [[services._bin("python"), "-c", _CINDER_VERSIONS]]))
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            outputs = list(pool.map(lambda job: services._run_steps(*job), jobs))
        folder.mkdir()
        for server in services.servers:
            shutil.copyfile(_database(server), folder / f"{server.service}.db")
        (folder / "cinder-versions.json").write_text(outputs[-1])
    (folder / "complete").write_text("")
    return folder


def _add_volume_services(
    database: Path, zones: Sequence[str], rpc_version: str, object_version: str
) -> None:
    """Declare one ``cinder-volume`` service per zone: Cinder takes its zones from these.

    No volume service runs; the rows carry the versions this Cinder speaks (it refuses to
    start next to services it deems too old).
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db, db:
        for zone in zones:
            db.execute(
                "INSERT INTO services (created_at, updated_at, deleted, host, `binary`, topic, "
                "report_count, disabled, availability_zone, rpc_current_version, "
                "object_current_version, replication_status, frozen, uuid) "
                "VALUES (?, ?, 0, ?, 'cinder-volume', 'cinder-volume', 1, 0, ?, ?, ?, "
                "'not-capable', 0, ?)",
                (
                    now,
                    now,
                    f"volume-{zone}@lvm",
                    zone,
                    rpc_version,
                    object_version,
                    str(uuid.uuid4()),
                ),
            )


# -- seeding ----------------------------------------------------------------------------


@dataclass
class Seeded:
    """What ``seed`` created: the estate rows it used and where they ended up."""

    source: str
    regions: list[str]
    # kind -> the estate's rows that were created (asset_id, name, scope, region, zone, ...)
    frames: dict[str, pd.DataFrame]
    # estate asset_id -> the real id (equal where the API lets ids be chosen)
    ids: dict[str, str] = field(default_factory=dict)
    # estate project id -> keystone project id
    projects: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, kind: str, region: str | None = None) -> int:
        frame = self.frames[kind]
        return int(len(frame) if region is None else frame["region"].eq(region).sum())

    def project(self, name: str) -> str:
        """The Keystone id of the estate's project called ``name``."""
        projects = self.frames["project"]
        return self.projects[str(projects.loc[projects["name"].eq(name), "asset_id"].iloc[0])]

    def names(self, kind: str, region: str | None = None) -> set[str]:
        frame = self.frames[kind]
        if region is not None:
            frame = frame[frame["region"].eq(region)]
        return set(frame["name"])


SEEDED_KINDS = (
    "network",
    "subnet",
    "router",
    "floating_ip",
    "security_group",
    "image",
    "volume",
    "backup",
)


def seed(
    conn: openstack.connection.Connection,
    estate: Estate,
    source_name: str = "nordlys",
    *,
    regions: Sequence[str] | None = None,
    per_kind: int | None = None,
    cinder_databases: Mapping[str, Path] | None = None,
) -> Seeded:
    """Create the OpenStack source ``source_name`` of ``estate`` through the real APIs.

    ``conn`` is an admin connection. Projects are global; everything else is created in
    its own region, for the regions both the estate and the catalog have (or ``regions``).
    ``per_kind`` caps the rows of each kind per region. Backups need ``cinder_databases``
    (region -> Cinder's SQLite file): without ``cinder-backup`` they are written as rows.
    Servers are not seeded (no Nova). Returns the estate-id -> real-id mapping.
    """
    began = time.monotonic()
    source = estate.source(source_name)
    catalog_regions = {r.id for r in conn.identity.regions()}
    wanted = [r for r in (regions or source.regions) if r in catalog_regions]
    frames: dict[str, pd.DataFrame] = {}
    for kind in SEEDED_KINDS:
        if kind == "backup" and not cinder_databases:
            continue
        frame = source.frames[kind]
        parts = [frame[frame["region"].eq(r)] for r in wanted]
        if per_kind is not None:
            parts = [part.head(per_kind) for part in parts]
        frames[kind] = _concat(parts, frame)
    frames["project"] = source.frames["project"]
    result = Seeded(source=source_name, regions=wanted, frames=frames)

    identity = conn.identity
    domain = identity.find_domain("default")
    admin_role = identity.find_role("admin")
    me = conn.current_user_id
    for row in frames["project"].itertuples():
        project = identity.create_project(
            name=row.name, domain_id=domain.id, description=f"residency estate {row.asset_id}"
        )
        identity.assign_project_role_to_user(project, me, admin_role)
        result.projects[str(row.asset_id)] = project.id
        result.ids[str(row.asset_id)] = project.id

    result.timings["projects"] = time.monotonic() - began

    for region in wanted:
        for label, step in (
            ("network", _seed_network),
            ("image", _seed_images),
            ("volume", _seed_volumes),
        ):
            mark = time.monotonic()
            step(conn, frames, region, result)
            result.timings[f"{label}@{region}"] = time.monotonic() - mark
        if cinder_databases and region in cinder_databases:
            _seed_backups(cinder_databases[region], frames, region, result, me)
    result.seconds = time.monotonic() - began
    return result


def _concat(parts: list[pd.DataFrame], like: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    return pd.concat(parts, ignore_index=True) if parts else like.iloc[:0]


def _rows(frames: Mapping[str, pd.DataFrame], kind: str, region: str) -> list[Any]:
    frame = frames[kind]
    return list(frame[frame["region"].eq(region)].itertuples())


def _seed_network(
    conn: openstack.connection.Connection,
    frames: Mapping[str, pd.DataFrame],
    region: str,
    result: Seeded,
) -> None:
    net = openstack_connection(conn, region).network
    public = net.create_network(
        name="public",
        is_router_external=True,
        provider_network_type="flat",
        provider_physical_network="public",
        is_shared=False,
    )
    net.create_subnet(
        name="public-subnet",
        network_id=public.id,
        ip_version=4,
        cidr="203.0.113.0/24",
        gateway_ip="203.0.113.254",
        allocation_pools=[{"start": "203.0.113.1", "end": "203.0.113.253"}],
        is_dhcp_enabled=False,
    )
    networks: dict[str, list[str]] = {}  # project name -> network ids
    all_networks: list[str] = []
    for row in _rows(frames, "network", region):
        project = result.projects[row.scope]
        created = net.create_network(
            name=row.name, project_id=project, description=f"estate {row.asset_id}"
        )
        networks.setdefault(row.scope, []).append(created.id)
        all_networks.append(created.id)
        result.ids[row.asset_id] = created.id
    subnets: dict[str, str] = {}  # project name -> a subnet id
    for index, row in enumerate(_rows(frames, "subnet", region)):
        project = result.projects[row.scope]
        candidates = networks.get(row.scope) or all_networks
        if not candidates:
            break
        created = net.create_subnet(
            name=row.name,
            project_id=project,
            network_id=candidates[index % len(candidates)],
            ip_version=4,
            cidr=f"10.{index // 256}.{index % 256}.0/24",
            description=f"estate {row.asset_id}",
        )
        subnets.setdefault(row.scope, created.id)
        result.ids[row.asset_id] = created.id
    used: set[str] = set()
    for row in _rows(frames, "floating_ip", region):
        attrs: dict[str, Any] = {
            "floating_network_id": public.id,
            "project_id": result.projects[row.scope],
            "description": f"estate {row.name} {row.asset_id}",
        }
        if row.address not in used:
            attrs["floating_ip_address"] = row.address
        created = net.create_ip(**attrs)
        used.add(created.floating_ip_address)
        result.ids[row.asset_id] = created.id
    for row in _rows(frames, "router", region):
        created = net.create_router(
            name=row.name,
            project_id=result.projects[row.scope],
            external_gateway_info={"network_id": public.id},
            description=f"estate {row.asset_id}",
        )
        if row.scope in subnets:
            net.add_interface_to_router(created, subnet_id=subnets[row.scope])
        result.ids[row.asset_id] = created.id
    for row in _rows(frames, "security_group", region):
        created = net.create_security_group(
            name=row.name,
            project_id=result.projects[row.scope],
            description=f"estate {row.asset_id}",
        )
        net.create_security_group_rule(
            security_group_id=created.id,
            direction="ingress",
            ethertype="IPv4",
            protocol="tcp",
            port_range_min=22,
            port_range_max=22,
            remote_ip_prefix="192.0.2.0/24",
        )
        result.ids[row.asset_id] = created.id


def _seed_images(
    conn: openstack.connection.Connection,
    frames: Mapping[str, pd.DataFrame],
    region: str,
    result: Seeded,
) -> None:
    image_api = openstack_connection(conn, region).image
    for row in _rows(frames, "image", region):
        image = image_api.create_image(
            id=row.asset_id,
            name=row.name,
            disk_format="raw",
            container_format="bare",
            visibility="private",
            owner=result.projects[row.scope],
            data=f"residency sample image {row.name}\n".encode(),
            validate_checksum=False,
        )
        result.ids[row.asset_id] = image.id


def _seed_volumes(
    conn: openstack.connection.Connection,
    frames: Mapping[str, pd.DataFrame],
    region: str,
    result: Seeded,
) -> None:
    rows = _rows(frames, "volume", region)
    admin = openstack_connection(conn, region)
    types = {str(t) for t in {row.volume_type for row in rows}}
    for name in sorted(types - {t.name for t in admin.block_storage.types()}):
        admin.block_storage.create_type(name=name, is_public=True)
    by_project: dict[str, list[Any]] = {}
    for row in rows:
        by_project.setdefault(row.scope, []).append(row)
    for project_name, project_rows in by_project.items():
        scoped = conn.connect_as(project_id=result.projects[project_name])
        pconn = openstack_connection(scoped, region)
        for row in project_rows:
            volume = pconn.block_storage.create_volume(
                name=row.name,
                size=int(row.size_gb),
                volume_type=row.volume_type,
                availability_zone=row.zone,
                metadata={"residency_asset_id": row.asset_id},
            )
            admin.block_storage.reset_volume_status(
                volume, status="available", attach_status="detached", migration_status=None
            )
            result.ids[row.asset_id] = volume.id
        pconn.close()


def openstack_connection(
    conn: openstack.connection.Connection, region: str
) -> openstack.connection.Connection:
    """``conn``'s session (and so its token and scope) in another region."""
    import openstack.connection

    return openstack.connection.Connection(
        session=conn.session, region_name=region, identity_api_version="3"
    )


def _seed_backups(
    database: Path,
    frames: Mapping[str, pd.DataFrame],
    region: str,
    result: Seeded,
    user_id: str,
) -> None:
    rows = _rows(frames, "backup", region)
    volumes = frames["volume"]
    volumes = volumes[volumes["region"].eq(region)]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db, db:
        for row in rows:
            same = volumes[volumes["scope"].eq(row.scope)]
            source = same.iloc[0] if len(same) else (volumes.iloc[0] if len(volumes) else None)
            volume_id = result.ids.get(str(source["asset_id"])) if source is not None else None
            size = int(source["size_gb"]) if source is not None else 1
            db.execute(
                "INSERT INTO backups (created_at, updated_at, deleted, id, volume_id, user_id, "
                "project_id, host, availability_zone, display_name, display_description, "
                "container, status, size, object_count, num_dependent_backups, "
                "data_timestamp, service) "
                "VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'available', ?, 0, 0, ?, ?)",
                (
                    now,
                    now,
                    row.asset_id,
                    volume_id or str(uuid.uuid4()),
                    user_id,
                    result.projects[row.scope],
                    f"backup-{region}",
                    row.zone,
                    row.name,
                    "residency sample backup",
                    row.container,
                    size,
                    now,
                    "cinder.backup.drivers.swift.SwiftBackupDriver",
                ),
            )
            result.ids[row.asset_id] = row.asset_id


def add_user(
    conn: openstack.connection.Connection,
    name: str,
    password: str,
    project_id: str,
    roles: Sequence[str] = ("reader",),
) -> str:
    """A user in the default domain with only ``roles`` on one project; returns its id."""
    identity = conn.identity
    domain = identity.find_domain("default")
    user = identity.create_user(name=name, password=password, domain_id=domain.id)
    for role in roles:
        identity.assign_project_role_to_user(project_id, user, identity.find_role(role))
    return str(user.id)


# -- command line -----------------------------------------------------------------------


def _up(venv: Path, workdir: Path | None, do_seed: bool, per_kind: int | None) -> int:
    from residency.sample import generate_estate

    stop: list[int] = []

    def _signal(signum: int, _frame: object) -> None:
        stop.append(signum)

    signal.signal(signal.SIGTERM, _signal)
    with OpenStackServices(venv, workdir) as services:
        clouds = services.clouds_yaml(services.workdir / "clouds.yaml")
        print(f"started in {services.timings.total:.1f} s ({services.timings})", flush=True)
        print(f"auth_url {services.auth_url}; regions {', '.join(services.region_names)}")
        print(f"admin password {services.admin_password}")
        for server in services.servers:
            print(f"  {server.name:<16} {server.url}  log {server.log}")
        if do_seed:
            conn = services.connect()
            seeded = seed(
                conn,
                generate_estate(),
                "nordlys",
                per_kind=per_kind,
                cinder_databases={r: services.cinder_database(r) for r in services.region_names},
            )
            counts = {k: len(f) for k, f in seeded.frames.items()}
            print(f"seeded in {seeded.seconds:.1f} s: {counts}")
        mib = {k: round(v / 2**20) for k, v in services.memory().items()}
        print(f"memory (MiB): {mib}; total {sum(mib.values())}")
        print(f"export OS_CLIENT_CONFIG_FILE={clouds} OS_CLOUD=residency-local")
        print("serving; Ctrl-C stops", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while not stop:
                time.sleep(0.5)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="services virtualenv")
    sub = parser.add_subparsers(dest="command", required=True)
    install_parser = sub.add_parser("install", help="create the services virtualenv")
    install_parser.add_argument(
        "--force", action="store_true", help="even if it was made from these requirements"
    )
    up = sub.add_parser("up", help="start the services (and seed them) until Ctrl-C")
    up.add_argument("--workdir", type=Path, default=None)
    up.add_argument("--no-seed", action="store_true")
    up.add_argument("--per-kind", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "install":
        seconds = install(args.venv, force=args.force)
        if not seconds:
            print(f"{args.venv} is up to date with {REQUIREMENTS.name}")
            return 0
        size = sum(f.stat().st_size for f in args.venv.rglob("*") if f.is_file())
        print(f"installed into {args.venv} in {seconds:.1f} s ({size / 2**20:.0f} MiB)")
        return 0
    return _up(args.venv, args.workdir, not args.no_seed, args.per_kind)


if __name__ == "__main__":
    sys.exit(main())
