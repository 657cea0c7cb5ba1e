"""A throwaway PostgreSQL server for tests, benchmarks and the embedded-defaults demo run.

``initdb`` + ``pg_ctl`` into a temporary directory with its own port and socket, stopped and removed on exit.
The directory name starts with ``$SYNTHDATA_PG_PREFIX`` (default ``synthdata-pg-``), so that a wrapper script can
stop whatever a killed test run left behind.
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` OS user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from synthcore.errors import SynthError

# Settings for a disposable bulk-load server (see ../shared/notes/postgres-load.md): WAL minimal so COPY into a
# table created in the same transaction skips WAL; one parallel maintenance worker on 2 cores; fsync off because
# the data is regenerable.
SERVER_SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "shared_buffers": "1GB",
    "maintenance_work_mem": "1GB",
    "max_parallel_maintenance_workers": "1",
    "shared_preload_libraries": "pg_stat_statements",
}


class ServerUnavailable(SynthError):
    """The PostgreSQL server binaries are missing or the server did not start."""


def find_bindir() -> Path:
    """Directory holding ``initdb`` and ``pg_ctl``: the newest /usr/lib/postgresql/N/bin, else PATH.

    Raises:
        ServerUnavailable: no server binaries; says how to install them.
    """
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ServerUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with"
        " 'apt-get install -y postgresql postgresql-contrib'"
    )


@dataclass(frozen=True)
class PgServer:
    """A running throwaway server."""

    bindir: Path
    root: Path
    port: int
    options: str = ""

    @property
    def socket_dir(self) -> Path:
        """Directory holding the server's Unix socket."""
        return self.root / "socket"

    def dsn(self, dbname: str = "postgres") -> str:
        """Connection string for ``dbname`` over the Unix socket as the superuser."""
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={dbname}"

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (its files stay; ``start`` brings it back)."""
        _run([str(self.bindir / "pg_ctl"), "stop", "-w", "-D", str(self.root / "data"), "-m", mode], self.log)

    def start(self) -> None:
        """Start the server on its port and socket with its settings."""
        _run(
            [
                str(self.bindir / "pg_ctl"),
                "start",
                "-w",
                "-D",
                str(self.root / "data"),
                "-l",
                str(self.log),
                "-o",
                f"-p {self.port} -k {self.socket_dir} {self.options}",
            ],
            self.log,
        )

    @property
    def log(self) -> Path:
        """The server's log file."""
        return self.root / "server.log"

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its DSN."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], log: Path) -> None:
    result = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise ServerUnavailable(f"{' '.join(cmd[:2])} failed: {result.stderr.strip()}\n{tail}")


@contextlib.contextmanager
def running_server(settings: dict[str, str] | None = None) -> Iterator[PgServer]:
    """Start a fresh server, yield it, then stop it and delete its files.

    Args:
        settings: server settings added to (and overriding) ``SERVER_SETTINGS``.
    """
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix=os.environ.get("SYNTHDATA_PG_PREFIX", "synthdata-pg-")))
    options = {**SERVER_SETTINGS, **(settings or {})}
    server = PgServer(bindir, root, free_port(), " ".join(f"-c {k}={v}" for k, v in options.items()))
    server.socket_dir.mkdir()
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        for path in (root, server.socket_dir):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    data, log = root / "data", server.log
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            log,
        )
        server.start()
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w"]),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)
