"""Tamper evidence: recompute the hash chains and the checkpoints over the log.

Every stored event carries a hash chaining it to its aggregate's previous
event (infra/chain.py). Periodically a checkpoint (domain/checkpoint.py)
records the head of every aggregate changed since the previous checkpoint and
the highest position it covers; checkpoints chain to each other as events of
one aggregate. `verify` walks the log in position order, streamed, and finds:

- an altered event: its content no longer matches its hash;
- a deleted event: a version gap in its aggregate, or a head a checkpoint
  recorded that the log no longer reaches;
- an inserted event: a version seen twice or a hash that does not chain, or
  an event a checkpoint does not account for;
- reordered events: versions out of order, or an event moved across a
  checkpoint's boundary.

A dropped tail after the latest checkpoint cannot be told from history that
was never written; `since_checkpoint` says how many events that covers, and an
auditor who noted an earlier `head_hash` can check it is still in the chain.
"""

from infra.audit.checkpoints import CHECKPOINTER, MAX_HEADS, write_checkpoint
from infra.audit.verify import run_verify, verify
from infra.audit.walk import Tampered, VerifyReport, stream

__all__ = [
    "CHECKPOINTER",
    "MAX_HEADS",
    "Tampered",
    "VerifyReport",
    "run_verify",
    "stream",
    "verify",
    "write_checkpoint",
]
