"""One settings class (env prefix SEATLEDGER_); everything else derives from it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.sealing import parse_key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEATLEDGER_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql://user:pass@host:port/db; unset = SQLite files",
    )
    data_dir: Path = Field(
        default=Path(".seatledger"),
        description="folder of the embedded SQLite database and generated key",
    )
    postgres_schema: str = "public"
    bootstrap_key: str | None = Field(default=None, repr=False)
    kafka_bootstrap: str | None = None
    webhook_secret_key: str | None = Field(
        default=None,
        repr=False,
        description="32 bytes (64 hex digits or base64) sealing webhook signing "
        "secrets at rest; unset = generated once in the data folder",
    )
    webhooks_allow_private: bool = Field(
        default=False,
        description="allow webhook URLs on loopback, private, link-local "
        "addresses (tests, on-premises)",
    )
    webhooks_in_process: bool | None = Field(
        default=None,
        description="serve sends webhooks itself; default: when "
        "SEATLEDGER_KAFKA_BOOTSTRAP is unset (else run `seatledger send-webhooks`)",
    )
    webhooks_retry_s: str = Field(
        default="5,300,1800,7200,18000,36000,36000",
        # [0-9], not \d (which takes any script's digits): ASCII seconds only.
        pattern=r"^\s*[0-9]+(\.[0-9]+)?(\s*,\s*[0-9]+(\.[0-9]+)?)*\s*$",
        description="seconds before each retry of a failed delivery; after the "
        "last one it is marked failed",
    )
    webhooks_timeout_s: float = Field(
        default=10, gt=0, le=60, description="seconds a receiver has to answer 2xx"
    )
    webhooks_concurrency: int = Field(
        default=4, ge=1, le=100, description="deliveries in flight per endpoint"
    )
    webhooks_poll_ms: int = Field(
        default=20, ge=1, le=60_000, description="sender's poll of the log when idle"
    )
    topic_prefix: str = "seatledger"
    topic_partitions: int = Field(default=6, ge=1, le=1000)
    retry_attempts: int = Field(default=10, ge=1, le=100)
    projector_poll_ms: int = Field(default=50, ge=1, le=60_000)
    projector_batch: int = Field(default=500, ge=1, le=100_000)
    lock_timeout_s: int = Field(default=5, ge=1)
    aggregate_cache: int = Field(
        default=1000,
        ge=0,
        description="aggregates kept for reads, brought up to date per read (0: off)",
    )
    bus_cache: int = Field(
        default=10_000,
        ge=0,
        le=10_000_000,
        description="aggregates the command bus keeps in memory between commands",
    )
    max_batch: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="most commands decided and saved in one transaction",
    )
    idempotency_ttl_h: float = Field(
        default=72,
        ge=24,
        le=24 * 365,
        description="hours a command's receipt (its answer to repeats) is kept",
    )
    pool_size: int = Field(default=10, ge=1, le=200)
    pg_pool_timeout_s: int = Field(
        default=5,
        ge=1,
        le=300,
        description="seconds a call waits for a pooled PostgreSQL connection",
    )
    pg_reconnect_s: float = Field(
        default=1.0,
        gt=0,
        le=300,
        description="seconds a pool's background reconnects keep trying before "
        "new connections are made on demand (keeps recovery prompt)",
    )
    retry_max_s: float = Field(
        default=1.0,
        gt=0,
        le=300,
        description="longest wait between attempts while a dependency is down",
    )
    shutdown_grace_s: float = Field(
        default=10,
        gt=0,
        le=600,
        description="seconds a stopping process may finish its batch in flight",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="relay/project/consume-commands: serve /metrics on this port",
    )
    stuck_group_s: float = Field(
        default=30,
        gt=0,
        le=3600,
        description="a consumer with no partitions this long while its group is "
        "empty rejoins",
    )
    checkpoint_interval_s: float = Field(
        default=60,
        ge=0,
        le=86_400,
        description="seconds between audit checkpoints written by serve (0: off)",
    )
    scheduler_interval_s: float = Field(
        default=1,
        ge=0,
        le=3_600,
        description="seconds between serve's rounds applying scheduled contract "
        "changes that fell due (0: off; commands on a pool apply them anyway)",
    )
    log_json: bool | None = Field(
        default=None, description="JSON logs; default: JSON unless on a terminal"
    )
    log_level: str = "INFO"
    clock_offset_days: int = Field(
        default=0,
        ge=-36500,
        le=36500,
        description="test hook: the service's clock runs this many days ahead",
    )
    # HTTP limits of `serve` (infra/http_guard.py): a slow or hostile client
    # holds a connection and memory only within these bounds.
    max_connections: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="open HTTP connections; more are answered 503 and closed",
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="request line and headers; larger requests are answered 431",
    )
    header_timeout_s: int = Field(
        default=10,
        ge=1,
        le=3600,
        description="seconds for a request's headers to arrive (else 408)",
    )
    body_timeout_s: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="seconds for a request's body to arrive (else closed)",
    )
    keep_alive_timeout_s: int = Field(
        default=5,
        ge=1,
        le=3600,
        description="seconds an idle connection stays open between requests",
    )
    failpoint: str | None = Field(
        default=None,
        description="test hook: crash at a named point (projector_after_db_commit)",
    )

    @field_validator("database_url")
    @classmethod
    def _only_postgres(cls, url: str | None) -> str | None:
        if url and urlsplit(url).scheme not in ("postgresql", "postgres"):
            raise ValueError("SEATLEDGER_DATABASE_URL must be postgresql://...")
        return url or None

    @field_validator("bootstrap_key")
    @classmethod
    def _trimmed_key(cls, key: str | None) -> str | None:
        # The presented secret is trimmed (application/keys.py), so the configured one
        # is too: a stray newline in an env file must not lock the operator out.
        return (key or "").strip() or None

    @field_validator("webhook_secret_key")
    @classmethod
    def _sealing_key(cls, key: str | None) -> str | None:
        if key and key.strip():
            parse_key(key)  # a wrong length fails at start, saying what is wanted
            return key.strip()
        return None

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "seatledger.sqlite"

    @property
    def bootstrap_key_file(self) -> Path:
        return self.data_dir / "operator.key"

    @property
    def webhook_key_file(self) -> Path:
        return self.data_dir / "webhook-secret.key"

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        return tuple(float(part) for part in self.webhooks_retry_s.split(","))

    def eventsourcing_env(self) -> dict[str, str]:
        """The environment eventsourcing's Application reads, passed as env=."""
        common = {"ORIGINATOR_ID_TYPE": "uuid", "CREATE_TABLE": "y"}
        if self.database_url is None:
            return common | {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": str(self.lock_timeout_s),
            }
        parts = urlsplit(self.database_url)
        return common | {
            "PERSISTENCE_MODULE": "infra.store:FailFastPostgresFactory",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": self.postgres_schema,
            # The library waits forever on its table lock by default.
            "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout_s),
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.pool_size),
            "POSTGRES_CONNECT_TIMEOUT": str(self.pg_pool_timeout_s),
            # A dead connection is found by the call that uses it, which then
            # purges the pool (infra/store.py): the library's pre-ping would
            # discard them one per call with sleeps in between.
            "POSTGRES_PRE_PING": "n",
            "SEATLEDGER_PG_RECONNECT_S": str(self.pg_reconnect_s),
            "SEATLEDGER_RETRY_MAX_S": str(self.retry_max_s),
        }
