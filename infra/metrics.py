"""Prometheus metrics, one registry per process (tests build several apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "seatledger_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "seatledger_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.store_position = Gauge(
            "seatledger_store_position",
            "highest position in the event store",
            registry=self.registry,
        )
        self.projection_position = Gauge(
            "seatledger_projection_position",
            "position the projections have applied",
            ["projection"],
            registry=self.registry,
        )
        self.projection_lag = Gauge(
            "seatledger_projection_lag",
            "store position minus projection position",
            ["projection"],
            registry=self.registry,
        )
        self.relay_lag = Gauge(
            "seatledger_relay_lag",
            "store position minus the position the relay published",
            registry=self.registry,
        )
        self.dependency_up = Gauge(
            "seatledger_dependency_up",
            "1 while this process reaches the dependency, 0 while it waits for it",
            ["dependency"],
            registry=self.registry,
        )
        self.assigned_partitions = Gauge(
            "seatledger_assigned_partitions",
            "partitions this process's Kafka consumer holds",
            ["consumer"],
            registry=self.registry,
        )
        self.group_rejoins = Counter(
            "seatledger_group_rejoins",
            "times a consumer left and rejoined a stuck group membership",
            ["consumer"],
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "seatledger_webhook_deliveries",
            "webhook delivery attempts by outcome: succeeded, retrying (failed, "
            "will be tried again), failed (gave up)",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_endpoint_lag = Gauge(
            "seatledger_webhook_endpoint_lag",
            "store position minus the position up to which an endpoint has "
            "received every event meant for it",
            ["endpoint"],
            registry=self.registry,
        )
        self.webhook_oldest_pending = Gauge(
            "seatledger_webhook_oldest_pending_seconds",
            "age of the oldest delivery not yet succeeded or given up",
            registry=self.registry,
        )
