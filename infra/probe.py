"""Container health checks (the image's HEALTHCHECK and compose.yaml's).

    python -m infra.probe http://127.0.0.1:8000/readyz   # the API: 2xx = healthy
    python -m infra.probe --dependencies                 # relay, projector, consumer

A worker serves no HTTP, so it counts as healthy while what it works with
answers: PostgreSQL (SEATLEDGER_DATABASE_URL) and at least one Kafka
bootstrap server (SEATLEDGER_KAFKA_BOOTSTRAP). Exit 0 when healthy, else 1
with the reason on stderr (docker shows it in `docker inspect`).
"""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

TIMEOUT_S = 3.0


def check_url(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        return f"{url}: {exc}"
    return None if 200 <= status < 300 else f"{url} answered {status}"


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=TIMEOUT_S).close()
    except OSError:
        return False
    return True


def check_dependencies() -> str | None:
    # Imported here: the URL probe runs every few seconds and needs none of it.
    from infra.settings import Settings

    settings = Settings()
    if settings.database_url:
        parts = urlsplit(settings.database_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 5432
        if not reachable(host, port):
            return f"PostgreSQL at {host}:{port} does not answer"
    servers = [s.strip() for s in (settings.kafka_bootstrap or "").split(",")]
    servers = [s for s in servers if s]
    if servers and not any(reachable(*_host_port(s)) for s in servers):
        return f"no Kafka bootstrap server answers ({', '.join(servers)})"
    return None


def _host_port(server: str) -> tuple[str, int]:
    host, colon, port = server.rpartition(":")
    if not colon or not port.isdigit():  # no port given: Kafka's default
        return server.strip("[]"), 9092
    return host.strip("[]"), int(port)


def main(argv: list[str]) -> int:
    if argv == ["--dependencies"]:
        problem = check_dependencies()
    elif len(argv) == 1 and argv[0].startswith(("http://", "https://")):
        problem = check_url(argv[0])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
