"""A throwaway PostgreSQL server for the tests.

`postgres_server()` yields a SQLAlchemy URL. With LAGET_TEST_POSTGRES_URL set, that server is
used as it is; otherwise the newest server binaries under /usr/lib/postgresql/<ver>/bin (or
on PATH) start a private cluster in a temp dir, in RAM if possible: trust auth, a unix socket
in that dir plus 127.0.0.1 on a free port, durability off. Run as root, the cluster runs as
the `postgres` OS user, since PostgreSQL refuses to run as root. No binaries and no URL is
an error, not a skip, so CI can never pass without having tested PostgreSQL.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localhost import free_port
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

URL_ENV = "LAGET_TEST_POSTGRES_URL"
OS_USER = "postgres"
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
)


class PostgresUnavailable(RuntimeError):
    pass


def find_bin_dir() -> Path:
    """The bin dir of the newest PostgreSQL installed, e.g. /usr/lib/postgresql/15/bin."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))

    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if version(p)]
    if candidates:
        return max(candidates, key=lambda d: version(d / "initdb"))
    on_path = shutil.which("initdb")
    if on_path and (Path(on_path).parent / "pg_ctl").exists():
        return Path(on_path).parent
    raise PostgresUnavailable(
        "No PostgreSQL server binaries found (looked for /usr/lib/postgresql/*/bin/initdb and "
        f"initdb on PATH). Run `apt-get install postgresql`, or set {URL_ENV} to a server "
        "URL such as postgresql+psycopg://postgres@127.0.0.1:5432/postgres."
    )


def _scratch_dir() -> str | None:
    """/dev/shm when roomy: there, server start takes ~0.7 s instead of ~1.5 s and CREATE
    DATABASE ... TEMPLATE ~15 ms instead of ~250 ms (measured; fsync=off alone is not enough)."""
    shm = "/dev/shm"
    try:
        if os.access(shm, os.W_OK | os.X_OK) and shutil.disk_usage(shm).free >= 512 * 2**20:
            return shm
    except OSError:
        pass
    return None  # the default temp dir


class PostgresServer:
    """A private cluster; `url` connects as superuser `postgres` to database `postgres`."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.as_root = os.geteuid() == 0
        self.tmp = Path(tempfile.mkdtemp(prefix="laget-pg-", dir=_scratch_dir()))
        self.data_dir = self.tmp / "data"
        self.log_file = self.tmp / "server.log"
        self.port = 0
        self.url = ""
        self.started_in = 0.0
        self._running = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", OS_USER, "--", *cmd]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=self.tmp)
        if check and proc.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                f"{self._log_tail()}"
            )
        return proc

    def _log_tail(self) -> str:
        try:
            return "\nserver log:\n" + self.log_file.read_text()[-3000:]
        except OSError:
            return ""

    def start(self) -> str:
        began = time.perf_counter()
        if self.as_root:
            try:
                user = pwd.getpwnam(OS_USER)
            except KeyError as err:
                raise PostgresUnavailable(
                    f"Running as root needs the `{OS_USER}` OS user to run PostgreSQL; "
                    f"run `apt-get install postgresql`, or set {URL_ENV}."
                ) from err
            os.chown(self.tmp, user.pw_uid, user.pw_gid)
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        for attempt in range(5):
            self.port = free_port()
            proc = self._run(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
                "-o", f"-p {self.port} -k {self.tmp} {SERVER_OPTIONS}", "start",
                check=attempt == 4,
            )  # fmt: skip
            if proc.returncode == 0:
                break  # else most likely the port was taken in between: try another
        self._running = True
        atexit.register(self.stop)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.started_in = time.perf_counter() - began
        return self.url

    def halt(self) -> None:
        """Stop the server but keep its data, for outage tests; `resume()` starts it again."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        self._running = False

    def resume(self) -> None:
        """Start a halted server again on the same port, with its data."""
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
            "-o", f"-p {self.port} -k {self.tmp} {SERVER_OPTIONS}", "start",
        )  # fmt: skip
        self._running = True

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop",
                      check=False)  # fmt: skip
        shutil.rmtree(self.tmp, ignore_errors=True)


def external_url() -> str | None:
    """LAGET_TEST_POSTGRES_URL with the psycopg 3 driver filled in, or None."""
    raw = os.environ.get(URL_ENV, "").strip()
    if not raw:
        return None
    url = make_url(raw)
    if url.drivername in {"postgres", "postgresql"}:
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a URL to a PostgreSQL server: the external one, or a private one torn down after."""
    url = external_url()
    if url:
        yield url
        return
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


# The role the tests' bot connects as: an ordinary owner, neither superuser nor BYPASSRLS,
# so PostgreSQL's row-level security applies to every test as it does in production.
APP_ROLE = "laget_app"


def create_database(admin: Engine, name: str, template: str | None = None) -> str:
    """CREATE DATABASE (from `template` if given) owned by APP_ROLE, through an AUTOCOMMIT
    engine on the server; returns the URL that connects to it as APP_ROLE."""
    clone = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                              {"r": APP_ROLE}).first()
        if not exists:
            conn.execute(text(f'CREATE ROLE "{APP_ROLE}" LOGIN NOSUPERUSER NOBYPASSRLS'))
        conn.execute(text(f'CREATE DATABASE "{name}"{clone} OWNER "{APP_ROLE}"'))
    return admin.url.set(database=name, username=APP_ROLE, password=None).render_as_string(
        hide_password=False)


def drop_database(admin: Engine, name: str) -> None:
    """Drop a database, first ending connections a test may have leaked to it."""
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
