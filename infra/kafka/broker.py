"""A real single-node Apache Kafka broker (KRaft) run as a plain JVM process.

The test suite and developers need a genuine broker, and there is no Docker.
Kafka's jars come from Maven Central (see ``pom.xml`` next to this file) into a
per-user cache, and the broker runs in combined broker+controller mode.

    python -m infra.kafka.broker          # start, print the bootstrap, wait
    python -m infra.kafka.broker fetch    # only download the jars

A workdir holds everything a broker needs (config, data, log), so a stopped or
killed broker can be started again on the same workdir with the same ports and
data: ``start_broker(workdir=old.workdir)``.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaConfigurationError, KafkaError

KAFKA_VERSION = "4.3.1"
STARTED_LINE = "Kafka Server started"

_HERE = Path(__file__).resolve().parent
_POM = _HERE / "pom.xml"
_LOG4J2_CONFIG = _HERE / "log4j2.properties"
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
# Jars that must be present for the copy to count as complete; a partial
# Maven run can leave a lib dir that looks plausible but cannot start Kafka.
_REQUIRED_JARS = (
    f"kafka_2.13-{KAFKA_VERSION}.jar",
    f"kafka-clients-{KAFKA_VERSION}.jar",
    "log4j-slf4j-impl-",
    "log4j-core-",
)
_MARKER = ".complete"
_JVM_OPTS = ("-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true")
_STOP_TIMEOUT = 30.0
_LOG_TAIL_LINES = 80

_STATE_FILE = "broker.json"
_CONFIG_FILE = "server.properties"
_LOG_FILE = "broker.log"
_DATA_DIR = "data"

log = logging.getLogger(__name__)


class KafkaBrokerError(RuntimeError):
    """The broker could not be fetched, formatted or started."""


@dataclass(frozen=True)
class KafkaBroker:
    bootstrap: str  # "127.0.0.1:PORT"
    workdir: Path
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return int(self.bootstrap.rpartition(":")[2])

    @property
    def log_path(self) -> Path:
        return self.workdir / _LOG_FILE

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM), escalating to SIGKILL after 30 s."""
        _terminate(self.process, _STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL at once: lets tests simulate a crash (no clean shutdown)."""
        _terminate(self.process, 0.0)


# ---------------------------------------------------------------- jars


def _cache_root() -> Path:
    configured = os.environ.get("SEATLEDGER_CACHE_DIR")
    base = Path(configured) if configured else Path.home() / ".cache" / "seatledger"
    return base / "kafka" / KAFKA_VERSION


def _lib_is_complete(lib: Path, pom_digest: str) -> bool:
    marker = lib / _MARKER
    if not marker.is_file() or marker.read_text().strip() != pom_digest:
        return False
    names = [p.name for p in lib.glob("*.jar")]
    return all(any(n.startswith(req) for n in names) for req in _REQUIRED_JARS)


def ensure_jars() -> Path:
    """Return a lib dir holding Kafka and its runtime deps, fetching if needed.

    The marker is written only after Maven succeeded, and holds a digest of the
    pom, so both an interrupted download and a changed dependency list lead to
    a fresh copy.
    """
    root = _cache_root()
    lib = root / "lib"
    pom_bytes = _POM.read_bytes()
    digest = hashlib.sha256(pom_bytes).hexdigest()
    if _lib_is_complete(lib, digest):
        return lib

    root.mkdir(parents=True, exist_ok=True)
    # Parallel test workers would otherwise wipe each other's half-copied lib.
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _lib_is_complete(lib, digest):
            return lib
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaBrokerError("Maven ('mvn') is needed to fetch Kafka's jars")
        # Maven runs on a copy so it never writes into the source tree (or a
        # read-only site-packages).
        (root / "pom.xml").write_bytes(pom_bytes)
        # Two Kafka or log4j versions on one classpath fail in confusing ways.
        shutil.rmtree(lib, ignore_errors=True)
        log.info("fetching Kafka %s jars into %s", KAFKA_VERSION, lib)
        started = time.monotonic()
        result = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-Dstyle.color=never",
                "-f",
                str(root / "pom.xml"),
                f"{_DEPENDENCY_PLUGIN}:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={lib}",
            ],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
        if result.returncode != 0:
            output = result.stdout.decode(errors="replace")
            raise KafkaBrokerError(
                f"mvn copy-dependencies failed (exit {result.returncode}):\n"
                + _tail(output)
            )
        (lib / _MARKER).write_text(digest + "\n")
        if not _lib_is_complete(lib, digest):
            (lib / _MARKER).unlink()
            raise KafkaBrokerError(f"Maven finished but {lib} lacks Kafka's jars")
        log.info("fetched Kafka jars in %.1f s", time.monotonic() - started)
    return lib


# ---------------------------------------------------------------- processes

# Brokers started by this interpreter; the atexit hook stops any a caller
# forgot, so a failing test cannot leave a 1 GB JVM running behind it.
_live: dict[subprocess.Popen[bytes], Path] = {}
_live_lock = threading.Lock()


def _terminate(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM and wait up to ``grace`` seconds, then SIGKILL (0: at once)."""
    if process.poll() is None:
        if grace > 0:
            process.terminate()
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
        else:
            process.kill()
    process.wait()
    with _live_lock:
        _live.pop(process, None)


@atexit.register
def _stop_leftovers(workdir: Path | None = None) -> None:
    with _live_lock:
        leftovers = [p for p, d in _live.items() if workdir in (None, d)]
    for process in leftovers:
        _terminate(process, 10.0)


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise KafkaBrokerError("no 'java' on PATH and no usable JAVA_HOME")
    return java


def _java_cmd(lib: Path, *args: str) -> list[str]:
    return [
        _java(),
        *_JVM_OPTS,
        f"-Dlog4j2.configurationFile={_LOG4J2_CONFIG}",
        "-cp",
        f"{lib}/*",
        *args,
    ]


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _log_tail(path: Path, since: int = 0) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(since)
            return _tail(f.read().decode(errors="replace"))
    except OSError:
        return "(no broker log)"


# ---------------------------------------------------------------- config


def _free_ports(count: int, exclude: set[int]) -> list[int]:
    # All sockets stay bound until every port is chosen, so the ports differ.
    sockets: list[socket.socket] = []
    try:
        ports: list[int] = []
        while len(ports) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(s)
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
            if port not in exclude:
                ports.append(port)
        return ports
    finally:
        for s in sockets:
            s.close()


def _server_properties(workdir: Path, port: int, controller_port: int) -> str:
    data = workdir / _DATA_DIR
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # A dynamic quorum (KIP-853) formatted with --standalone; the static
        # controller.quorum.voters form is deprecated.
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": (
            f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
        ),
        "advertised.listeners": (
            f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
        ),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data),
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        # Internal topics default to 3 replicas, which one node cannot host.
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # After a crash (kill -9) the old broker registration blocks the new
        # one until its session expires: 9 s by default, for every such test.
        "broker.session.timeout.ms": "3000",
        "broker.heartbeat.interval.ms": "500",
        # Consumers in tests would otherwise sit out a 3 s join delay.
        "group.initial.rebalance.delay.ms": "0",
        # Tests create their topics explicitly; a typo should fail, not succeed.
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{k}={v}\n" for k, v in settings.items())


def _resolve_ports(
    workdir: Path, port: int | None, controller_port: int | None
) -> tuple[int, int]:
    state_path = workdir / _STATE_FILE
    if state_path.is_file():
        state = json.loads(state_path.read_text())
        recorded = int(state["port"]), int(state["controller_port"])
        wanted = (port or recorded[0], controller_port or recorded[1])
        if wanted != recorded and _is_formatted(workdir):
            # The controller's address is written into the formatted metadata
            # (the voter set), so a formatted workdir is tied to its ports.
            raise ValueError(
                f"{workdir} was formatted for ports {recorded[0]} (broker) and "
                f"{recorded[1]} (controller), not {wanted[0]} and {wanted[1]}"
            )
        return wanted
    exclude = {p for p in (port, controller_port) if p}
    picked = iter(_free_ports(2 - len(exclude), exclude))
    return port or next(picked), controller_port or next(picked)


def _cluster_id() -> str:
    # Kafka's own Uuid format (URL-safe base64, no padding); Kafka rejects ids
    # starting with '-' as they read like command-line flags. Generating it
    # here saves a JVM start for `StorageTool random-uuid`.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _is_formatted(workdir: Path) -> bool:
    data = workdir / _DATA_DIR
    return (data / "meta.properties").is_file() and (
        data / "__cluster_metadata-0"
    ).is_dir()


def _format(lib: Path, workdir: Path, timeout: float) -> None:
    data = workdir / _DATA_DIR
    # A format that died half-way leaves files that make the next one refuse.
    shutil.rmtree(data, ignore_errors=True)
    try:
        result = subprocess.run(
            _java_cmd(
                lib,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                _cluster_id(),
                "-c",
                str(workdir / _CONFIG_FILE),
            ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=max(timeout, 1.0),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise KafkaBrokerError(f"formatting {data} timed out") from exc
    if result.returncode != 0 or not _is_formatted(workdir):
        raise KafkaBrokerError(
            f"formatting {data} failed (exit {result.returncode}):\n"
            + _tail(result.stdout.decode(errors="replace"))
        )


# ---------------------------------------------------------------- start


def _probe_admin(bootstrap: str, timeout: float) -> str | None:
    """List topics as a client would; return why that failed, or None."""
    timeout_ms = int(max(timeout, 1.0) * 1000)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="seatledger-broker-probe",
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )
        try:
            admin.list_topics()
        finally:
            admin.close()
    except KafkaConfigurationError:
        # A bug in the probe, not a broker still starting: retrying would only
        # turn it into a misleading time-out.
        raise
    except (KafkaError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _log_contains(path: Path, since: int, needle: bytes) -> bool:
    with open(path, "rb") as f:
        f.seek(since)
        return needle in f.read()


def _wait_until_ready(
    process: subprocess.Popen[bytes],
    bootstrap: str,
    log_path: Path,
    log_offset: int,
    deadline: float,
) -> None:
    seen_started = False
    probe_error: str | None = "not probed yet"
    while True:
        if process.poll() is not None:
            raise KafkaBrokerError(
                f"Kafka exited with code {process.returncode} during start-up; "
                f"log {log_path}:\n{_log_tail(log_path, log_offset)}"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise KafkaBrokerError(
                f"Kafka at {bootstrap} not ready in time "
                f"('{STARTED_LINE}' logged: {seen_started}; "
                f"last admin probe: {probe_error}); "
                f"log {log_path}:\n{_log_tail(log_path, log_offset)}"
            )
        if not seen_started:
            seen_started = _log_contains(log_path, log_offset, STARTED_LINE.encode())
        if seen_started:
            probe_error = _probe_admin(bootstrap, min(remaining, 10.0))
            if probe_error is None:
                return
        time.sleep(0.1)


def start_broker(
    workdir: Path | None = None,
    port: int | None = None,
    controller_port: int | None = None,
    timeout: float = 90,
) -> KafkaBroker:
    """Start a single-node broker, formatting ``workdir`` on its first use.

    Without ``workdir`` a new temp dir is created; the caller owns it (see
    ``throwaway_broker`` for one that cleans up). Passing the ``workdir`` of a
    stopped or killed broker starts it again with its ports and data. The
    ``timeout`` covers format and start-up, not the one-off jar download.
    """
    lib = ensure_jars()
    deadline = time.monotonic() + timeout
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="seatledger-kafka-"))
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    port, controller_port = _resolve_ports(workdir, port, controller_port)
    # Rewritten each time so a workdir formatted by an older version of this
    # module still starts with the current settings.
    (workdir / _CONFIG_FILE).write_text(
        _server_properties(workdir, port, controller_port)
    )
    # Recorded before formatting: the formatted data is bound to these ports,
    # so no formatted workdir may exist without them on record.
    (workdir / _STATE_FILE).write_text(
        json.dumps({"port": port, "controller_port": controller_port}) + "\n"
    )
    if not _is_formatted(workdir):
        log.info("formatting Kafka storage in %s", workdir)
        _format(lib, workdir, deadline - time.monotonic())

    bootstrap = f"127.0.0.1:{port}"
    log_path = workdir / _LOG_FILE
    log.info("starting Kafka %s at %s (log: %s)", KAFKA_VERSION, bootstrap, log_path)
    # The log is appended to across restarts; only this run's lines count.
    with open(log_path, "ab") as log_file:
        log_offset = log_file.tell()
        process = subprocess.Popen(
            _java_cmd(lib, "kafka.Kafka", str(workdir / _CONFIG_FILE)),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Its own session: a Ctrl-C in the terminal reaches only Python,
            # which then stops the broker in order instead of racing it.
            start_new_session=True,
        )
    with _live_lock:
        _live[process] = workdir
    broker = KafkaBroker(bootstrap=bootstrap, workdir=workdir, process=process)
    try:
        _wait_until_ready(process, bootstrap, log_path, log_offset, deadline)
    except BaseException:
        broker.kill()
        raise
    return broker


@contextlib.contextmanager
def throwaway_broker(
    *, port: int | None = None, controller_port: int | None = None, timeout: float = 90
) -> Iterator[KafkaBroker]:
    """A broker on a fresh temp dir, stopped and deleted on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="seatledger-kafka-"))
    try:
        broker = start_broker(workdir, port, controller_port, timeout)
        try:
            yield broker
        finally:
            broker.stop()
            # The body may have restarted the broker on this workdir; that JVM
            # must not outlive the directory it writes to.
            _stop_leftovers(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- CLI


def _serve(workdir: Path | None, port: int | None, controller_port: int | None) -> int:
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    with contextlib.ExitStack() as stack:
        if workdir is None:
            broker = stack.enter_context(
                throwaway_broker(port=port, controller_port=controller_port)
            )
        else:
            broker = start_broker(workdir, port, controller_port)
            stack.callback(broker.stop)
        print(f"SEATLEDGER_KAFKA_BOOTSTRAP={broker.bootstrap}", flush=True)
        print(f"# workdir {broker.workdir}; Ctrl-C to stop", file=sys.stderr)
        while not stopping.wait(0.5):
            if broker.process.poll() is not None:
                print(
                    f"Kafka exited on its own (code {broker.process.returncode}):\n"
                    + _log_tail(broker.log_path),
                    file=sys.stderr,
                )
                return 1
        print("# stopping Kafka", file=sys.stderr)
    print("# Kafka stopped", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.kafka.broker",
        description="Run a local single-node Kafka broker (KRaft) for seatledger.",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=["run", "fetch"],
        default="run",
        help="'fetch' only downloads the jars (default: run)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep config and data here (reusable); default: a temp dir "
        "deleted on exit",
    )
    parser.add_argument("--port", type=int, help="broker port (default: free one)")
    parser.add_argument(
        "--controller-port", type=int, help="controller port (default: free one)"
    )
    args = parser.parse_args(argv)
    # INFO for this module only: kafka-python's INFO lines are noise here.
    logging.basicConfig(level=logging.WARNING, format="# %(message)s")
    log.setLevel(logging.INFO)

    try:
        if args.command == "fetch":
            print(ensure_jars())
            return 0
        return _serve(args.workdir, args.port, args.controller_port)
    except KafkaBrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
