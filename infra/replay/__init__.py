"""`seatledger replay`: rebuild projections from the event store into shadow
tables, then swap them in atomically, while the service keeps serving (and its
projector keeps writing) the live ones.

The rebuild streams the store's log, a batch at a time, into a shadow made
afresh with the same DDL (PostgreSQL: the schema `<schema>_replay`; SQLite:
`seatledger.replay.sqlite` beside the live file). Then one transaction on the
live tables:

1. blocks the live projection writers. PostgreSQL: LOCK TABLE the tracking
   tables, then the projection tables, IN EXCLUSIVE MODE (readers go on; every
   projector transaction that writes rows touches projection_tenant_positions
   first, so this order cannot deadlock with one). SQLite: the write lock of
   BEGIN IMMEDIATE (the store shares the file, so commands wait too).
2. reads the store head H. Positions are handed out in commit order, so every
   event at or below H is committed, and no live projector applied one above.
3. applies the rest of the log up to H to the shadow: it now holds every
   event <= H, each applied once, in log order.
4. replaces the live rows of the rebuilt projections' tables with the
   shadow's, raises (never lowers) each tenant's applied position to the
   shadow's (the tenant's last event <= H, at least what the live had) and
   the "store" checkpoint to H.

Why neither projector applies anything twice or misses anything afterwards:
- the embedded follower reads on after its checkpoint H. A batch it read
  before the lock commits nothing until the lock is gone, then finds every
  envelope at or below its tenant's position and skips it.
- the Kafka projector skips an envelope at or below its tenant's position:
  each tenant's events <= H are in the swapped rows and skipped; each later
  one is applied once, on top of them. Its offsets and watermarks are left
  alone: they only claim what was applied, which stays true.

Rebuilding only some projections: the positions are shared by all of them,
so raising a tenant's position would make the projectors skip its events for
the projections not rebuilt. So the live tables are first brought up to the
store exactly as the follower does it (`apply_batch`, from the highest
position below which everything is applied: the "store" checkpoint or the
Kafka watermark), in short transactions beforehand and the rest up to H under
the lock. Then every live projection holds every event <= H, and the raised
positions are true for all of them.

A failure before the commit changes nothing live. The shadow is dropped at
the end and made anew by the next run; an advisory lock (a file lock for
SQLite) keeps two replays of one store apart. The package:
`source.py` picks the projections and reads the log; `tracking.py` holds the
positions the shadow records and the swap raises; `shadow.py` the two shadows,
side by side (they differ only in where their tables live and how rows cross
over); `swap.py` the steps above; `progress.py` the progress bar; `run.py`
the whole run.
"""

from infra.replay.run import ROUNDS, ReplayResult, run_replay
from infra.replay.shadow import (
    COPY_CHUNK,
    LOCK_TIMEOUT_S,
    PgShadow,
    ReplayBusy,
    Shadow,
    SqliteShadow,
    open_shadow,
)
from infra.replay.source import (
    UnknownProjection,
    batches,
    select_projections,
    tables_of,
)
from infra.replay.swap import SWAP_ATTEMPTS
from infra.replay.tracking import TRACKING, apply_to_shadow

__all__ = [
    "COPY_CHUNK",
    "LOCK_TIMEOUT_S",
    "ROUNDS",
    "SWAP_ATTEMPTS",
    "TRACKING",
    "PgShadow",
    "ReplayBusy",
    "ReplayResult",
    "Shadow",
    "SqliteShadow",
    "UnknownProjection",
    "apply_to_shadow",
    "batches",
    "open_shadow",
    "run_replay",
    "select_projections",
    "tables_of",
]
