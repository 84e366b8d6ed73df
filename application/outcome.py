"""What the command bus answers for a command that was not refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.views import View


@dataclass(frozen=True)
class Outcome:
    view: View | None  # the aggregate the caller asked about, as decided
    position: int  # of the last event recorded (the head when none was)
    decided_at: datetime  # the instant dates and expiries were judged at
    status: int = 200  # 201 when a creating command recorded something
    changed: bool = True
    replayed: bool = False  # answered from the receipt of an earlier call
    dry_run: bool = False
    secret: str | None = None  # a new API key's secret, in its first answer only
