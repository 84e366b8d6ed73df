"""A running `seatledger serve` anchors history by itself: it records audit
checkpoints every SEATLEDGER_CHECKPOINT_INTERVAL_S, and verify over HTTP
reports the latest one's hash as the head."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.conftest import start_server
from tests.e2e.helpers import tenant


def test_serve_records_checkpoints_that_verify_reports(tmp_path: Path) -> None:
    env = {
        "SEATLEDGER_DATA_DIR": str(tmp_path / "data"),
        "SEATLEDGER_LOG_JSON": "true",
        "SEATLEDGER_CHECKPOINT_INTERVAL_S": "0.2",
    }
    server = start_server(env, tmp_path)
    try:
        with server.client() as c:
            t = tenant(c)["tenant_id"]
            r = c.put(f"/v1/tenants/{t}/seats/expenses", json={"limit": 5})
            assert r.status_code == 200, r.text
            written = r.json()["position"]
            deadline = time.monotonic() + 30
            while True:
                report = c.get("/v1/audit/verify").json()
                if report["checkpoint_position"] and report["since_checkpoint"] == 0:
                    break
                assert time.monotonic() < deadline, report
                time.sleep(0.1)
            assert report["ok"] is True, report
            assert report["checkpoint_position"] > written
            assert len(report["head_hash"]) == 64
            # The checkpoint is history too: it is in the log, actor named.
            events = c.get("/v1/events", params={"after": written}).json()["events"]
            trail = [e for e in events if e["aggregate_type"] == "AuditTrail"]
            assert trail and trail[-1]["actor"] == "system:audit-checkpoint"
            assert trail[-1]["hash"] == report["head_hash"]
            assert trail[-1]["payload"]["through"] >= written
            # Nothing new: no more checkpoints.
            time.sleep(0.6)
            again = c.get("/v1/audit/verify").json()
            assert again["checkpoint_position"] == report["checkpoint_position"]
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)
