"""The command bus: the one way anything changes, whoever sends the command.

`handle(principal, command, context)` authorizes the principal with the
command's rule, decides on current state, saves everything the command
changed with its receipt in one transaction (together with whatever else
arrived at the same moment: group commit), and answers with an Outcome, or
raises the refusal (a DomainError). A repeat of a command with a receipt is
answered from the receipt and changes nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from uuid import UUID

from application import receipts
from application.auth import Principal
from application.catalogue import CATALOGUE
from application.committer import Committer
from application.context import Context
from application.jobs import Job
from application.outcome import Outcome
from application.ports import AggregateReader
from application.queries.scope import seen_by
from application.receipts import Receipt
from application.views import view_of
from domain.commands import Command
from domain.errors import DomainError, IdempotencyKeyReused, NotFound, refusal


class CommandBus:
    def __init__(self, committer: Committer, reader: AggregateReader) -> None:
        self.committer = committer
        self.reader = reader

    def handle(
        self, who: Principal, command: Command, context: Context | None = None
    ) -> Outcome:
        return self.outcome(self.submit(who, command, context))

    def submit(
        self, who: Principal, command: Command, context: Context | None = None
    ) -> Job:
        """Queues the command without waiting: commands submitted together
        are decided and saved together. `outcome(job)` waits for its answer."""
        return self._submit(who, command, context)

    def outcome(self, job: Job) -> Outcome:
        """The submitted command's answer (raises its refusal)."""
        return self._answer(job, job.future.result())

    async def handle_async(
        self, who: Principal, command: Command, context: Context | None = None
    ) -> Outcome:
        """`handle` for an event loop: the caller awaits the committer's answer
        instead of blocking a worker thread on it (an HTTP request then costs
        no thread hop). A repeat answered from its receipt reads the store,
        so that part runs in a thread."""
        job = self._submit(who, command, context)
        answer = await asyncio.wrap_future(job.future)
        if isinstance(answer, Receipt):
            return await asyncio.to_thread(self._answer, job, answer)
        return self._answer(job, answer)

    def _submit(self, who: Principal, command: Command, context: Context | None) -> Job:
        context = context or Context()
        job = Job(who, command, CATALOGUE[type(command)], context)
        # A dry run looks its receipt up too (a repeat of a recorded command
        # would be answered from it) but never writes one.
        if context.idempotency_key is not None:
            job.receipt_id = receipts.receipt_id(who.key_id, context.idempotency_key)
            job.fingerprint = receipts.fingerprint(command)
        return self.committer.submit(job)

    def _answer(self, job: Job, answer: object) -> Outcome:
        if isinstance(answer, Receipt):
            answer = self._replay(job, answer)
        assert isinstance(answer, Outcome)
        # An answer shows the caller no more than a read would: a key that
        # reads its own tenant only, renaming it, is not told its sub-tenants.
        view = seen_by(job.who, answer.view)
        return answer if view is answer.view else replace(answer, view=view)

    def _replay(self, job: Job, receipt: Receipt) -> Outcome:
        """The first answer again: the refusal, or the aggregate as the first
        call left it, judged at the same instant (a new key's secret is not
        kept anywhere, so it is not in a repeat)."""
        if receipt.fingerprint != job.fingerprint:
            raise IdempotencyKeyReused(
                "this idempotency key was used with a different request"
            )
        if receipt.error is not None:
            raise refusal(receipt.error)
        view = None
        if receipt.result_id is not None and receipt.result_version is not None:
            view = view_of(
                self._result(receipt.result_id, receipt.result_version),
                receipt.decided_at,
                self._result,
            )
        return Outcome(
            view=view,
            position=receipt.position,
            decided_at=receipt.decided_at,
            status=receipt.status,
            changed=receipt.changed,
            replayed=True,
            dry_run=job.dry_run,
        )

    def _result(self, aggregate_id: UUID, version: int) -> object:
        found = self.reader.get_at_version(aggregate_id, version)
        if found is None:  # receipts only name saved aggregates
            raise NotFound("the answered aggregate is gone")
        return found

    def stop(self) -> None:
        self.committer.stop()


__all__ = ["CommandBus", "DomainError"]
