"""A real, throwaway PostgreSQL server run as a plain process.

For the test suite and for developers: no Docker, no system service. The server
binaries come from Debian's ``postgresql`` package (installed with apt when
missing and we are root). As root, the server runs as the ``postgres`` OS user,
since PostgreSQL refuses to run as root.

Run ``python -m infra.local.postgres`` to get a server until Ctrl-C.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import quote

import psycopg
from psycopg import sql

HOST = "127.0.0.1"
SUPERUSER = "seatledger"
DBNAME = "seatledger"

_INSTALL_HINT = (
    "install the PostgreSQL server, e.g. `sudo apt-get install -y postgresql` "
    "(Debian/Ubuntu), or put a directory holding initdb and pg_ctl on PATH"
)
_INSTALL_LOCK = Path(tempfile.gettempdir()) / "seatledger-postgres-install.lock"
_START_ATTEMPTS = 3


class PgClusterError(RuntimeError):
    pass


class PgNotInstalledError(PgClusterError):
    pass


@dataclass(frozen=True)
class PgCluster:
    host: str
    port: int
    user: str
    dbname: str
    datadir: Path

    @property
    def url(self) -> str:
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        user = quote(self.user, safe="")
        return f"postgresql://{user}@{self.host}:{self.port}/{quote(dbname, safe='')}"

    def create_database(self, name: str) -> str:
        _create_database(self.host, self.port, self.user, name)
        return self.url_for(name)


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin: "15" -> (15,), "9.6" -> (9, 6)
    try:
        return tuple(int(part) for part in bin_dir.parent.name.split("."))
    except ValueError:
        return (-1,)


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL server bin dir (Debian layout first, then PATH)."""
    candidates = [
        Path(initdb).parent
        for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb")
        if (Path(initdb).parent / "pg_ctl").exists()
    ]
    if candidates:
        return max(candidates, key=_version_key)
    initdb = shutil.which("initdb")
    if initdb is not None and (Path(initdb).parent / "pg_ctl").exists():
        return Path(initdb).parent
    return None


def ensure_installed() -> Path:
    bin_dir = find_bin_dir()
    if bin_dir is not None:
        return bin_dir
    if os.geteuid() != 0:
        raise PgNotInstalledError(f"no PostgreSQL server binaries: {_INSTALL_HINT}")
    if shutil.which("apt-get") is None:
        raise PgNotInstalledError(
            f"no PostgreSQL server binaries, and no apt-get: {_INSTALL_HINT}"
        )
    # Parallel test workers may all get here: one installs, the others wait.
    with open(_INSTALL_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        bin_dir = find_bin_dir()
        if bin_dir is not None:
            return bin_dir
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "postgresql"],
        ):
            done = subprocess.run(
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise PgNotInstalledError(
                    f"`{' '.join(cmd)}` failed ({done.returncode}):\n"
                    f"{_tail(done.stdout + done.stderr)}"
                )
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PgNotInstalledError(
            f"apt installed postgresql but no initdb was found: {_INSTALL_HINT}"
        )
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _read_tail(path: Path, lines: int = 40) -> str:
    try:
        return _tail(path.read_text(errors="replace"), lines)
    except OSError as exc:
        return f"(could not read {path}: {exc})"


def _server_owner() -> pwd.struct_passwd | None:
    """The OS user to run the server as: None means ourselves (we are not root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PgClusterError(
            "running as root, but there is no `postgres` OS user to run the server "
            "as (PostgreSQL refuses to run as root); install Debian's postgresql "
            "package or create that user"
        ) from None


def _run(
    cmd: list[str],
    owner: pwd.struct_passwd | None,
    *,
    cwd: Path,
    timeout: float,
    new_session: bool = False,
) -> subprocess.CompletedProcess[str]:
    # No inherited PG* variables (PGDATA, PGPORT, ...) and a locale that exists.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    if owner is not None:
        env.update(HOME=owner.pw_dir, USER=owner.pw_name, LOGNAME=owner.pw_name)
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        user=None if owner is None else owner.pw_uid,
        group=None if owner is None else owner.pw_gid,
        extra_groups=None if owner is None else [],
        start_new_session=new_session,
    )


def _create_database(host: str, port: int, user: str, name: str) -> None:
    with psycopg.connect(
        host=host,
        port=port,
        user=user,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _write_settings(datadir: Path, port: int) -> None:
    socket_dir = str(datadir).replace("'", "''")
    settings = f"""
# seatledger throwaway cluster: fast and unsafe, for tests only
listen_addresses = '{HOST}'
port = {port}
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
"""
    # Appending keeps the file's owner (postgres) and mode.
    with open(datadir / "postgresql.conf", "a") as conf:
        conf.write(settings)


def _start(
    bin_dir: Path, datadir: Path, logfile: Path, owner: pwd.struct_passwd | None
) -> int:
    """Start the server on a free port and return that port."""
    port = _free_port()
    _write_settings(datadir, port)
    for attempt in range(1, _START_ATTEMPTS + 1):
        done = _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(datadir),
                "-l",
                str(logfile),
                "-w",
                "-t",
                "60",
                "start",
            ],
            owner,
            cwd=datadir.parent,
            timeout=90,
            # Keep the server out of our process group: a Ctrl-C in the terminal
            # must reach us (who stop it), not the server.
            new_session=True,
        )
        if done.returncode == 0:
            return port
        log = _read_tail(logfile)
        if "could not bind" in log and attempt < _START_ATTEMPTS:
            # Someone took the port between our probe and the server's bind.
            port = _free_port()
            with open(datadir / "postgresql.conf", "a") as conf:
                conf.write(f"port = {port}\n")
            continue
        raise PgClusterError(
            f"PostgreSQL failed to start (pg_ctl exit {done.returncode}):\n"
            f"{(done.stdout + done.stderr).strip()}\n"
            f"--- tail of {logfile} ---\n{log}"
        )
    raise AssertionError("unreachable")


def _stop(bin_dir: Path, datadir: Path, owner: pwd.struct_passwd | None) -> None:
    pidfile = datadir / "postmaster.pid"
    if not pidfile.exists():
        return
    try:
        done = _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(datadir),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            owner,
            cwd=datadir.parent,
            timeout=60,
        )
        if done.returncode == 0:
            return
    except subprocess.TimeoutExpired:
        pass
    # Last resort: kill the postmaster named in the pid file, if it is still ours.
    try:
        pid = int(pidfile.read_text().split("\n", 1)[0])
        exe = Path(f"/proc/{pid}/exe").resolve()
    except (OSError, ValueError):
        return
    if exe == (bin_dir / "postgres").resolve():
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def pg_ctl(cluster: PgCluster, action: str, *options: str) -> None:
    """Runs `pg_ctl start|stop|restart` on a throwaway cluster, waiting for it:
    the fault drills of the test suite stop and start a server under load."""
    bin_dir = ensure_installed()
    logfile = cluster.datadir.parent / "postgres.log"
    done = _run(
        [
            *(str(bin_dir / "pg_ctl"), "-D", str(cluster.datadir)),
            *("-l", str(logfile), "-w", "-t", "60", *options, action),
        ],
        _server_owner(),
        cwd=cluster.datadir.parent,
        timeout=90,
        new_session=True,  # like _start: the server outlives no Ctrl-C of ours
    )
    if done.returncode != 0:
        raise PgClusterError(
            f"pg_ctl {action} failed ({done.returncode}):\n"
            f"{(done.stdout + done.stderr).strip()}\n{_read_tail(logfile)}"
        )


@contextmanager
def throwaway_cluster(base_dir: Path | None = None) -> Iterator[PgCluster]:
    """Run a fresh server for the duration of the ``with`` block, then delete it.

    Its data (and log) live in a new temporary folder under ``base_dir`` (default:
    the system temp dir). The superuser ``seatledger`` connects over TCP on
    127.0.0.1 with no password, and a ``seatledger`` database exists.
    """
    bin_dir = ensure_installed()
    owner = _server_owner()
    if base_dir is not None:
        base_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="seatledger-pg-", dir=base_dir)).resolve()
    datadir = workdir / "data"
    logfile = workdir / "postgres.log"
    try:
        if owner is not None:
            os.chown(workdir, owner.pw_uid, owner.pw_gid)
        done = _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            owner,
            cwd=workdir,
            timeout=120,
        )
        if done.returncode != 0:
            hint = (
                f"\n(the server runs as OS user {owner.pw_name!r}, which must be "
                f"able to reach and write {workdir})"
                if owner is not None
                else ""
            )
            raise PgClusterError(
                f"initdb failed ({done.returncode}):\n"
                f"{_tail(done.stdout + done.stderr)}{hint}"
            )
        port = _start(bin_dir, datadir, logfile, owner)
        cluster = PgCluster(
            host=HOST, port=port, user=SUPERUSER, dbname=DBNAME, datadir=datadir
        )
        _create_database(HOST, port, SUPERUSER, DBNAME)
        yield cluster
    finally:
        try:
            _stop(bin_dir, datadir, owner)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # First signal only: a second Ctrl-C must not break off the cleanup.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        started = time.monotonic()
        with throwaway_cluster() as cluster:
            print(f"SEATLEDGER_DATABASE_URL={cluster.url}", flush=True)
            print(
                f"PostgreSQL up in {time.monotonic() - started:.1f}s, data in "
                f"{cluster.datadir}; Ctrl-C or SIGTERM stops and deletes it",
                file=sys.stderr,
                flush=True,
            )
            while True:
                signal.pause()
    except KeyboardInterrupt:
        print("PostgreSQL stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
