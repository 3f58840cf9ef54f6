"""Use cases of the disbursement the borrower confirms (issue 15 part 3, the ghost-borrower check).

* **Asking.** A linked borrower is asked about each of their unconfirmed loans through the outbox (kind
  ``disbursement``, template ``disbursement/ask``, buttons *Ya, sudah terima* ``dsb:yes:<loan>`` and *Belum / tidak
  sesuai* ``dsb:no:<loan>``), exactly once per loan (dedupe key ``dsb:ask:<loan id>``). :func:`ask_in` runs inside
  the transaction that makes the question possible: a loan created for a borrower already on Telegram
  (:func:`bot.services.loans.create_loan`, the loan import), or an invite opened (:func:`bot.services.invites.
  redeem_invite`). The minute tick sends it (quiet hours apply: it is not urgent, the loan runs meanwhile).
  :func:`ask_again` is ``/konfirmasi_dana``: the same question, as a reply, for the loans still open.
* **Answering.** :func:`confirm` records *Ya* with its time; :func:`dispute` records *Belum* with the borrower's
  note and returns the lurah and admins of the kelurahan, whom the caller alerts at once. Only the loan's
  borrower answers, once (``ALREADY`` shows the first answer). Both are audited (``disbursement.confirmed``,
  ``disbursement.disputed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.roles import Role
from storage import audit, disbursements, drafts, outbox, people
from storage.db import Database, Queryable
from storage.disbursements import Disbursement
from storage.loans import Loan
from storage.people import Person

ASK_KIND = "disbursement"
ASK_TEMPLATE = "disbursement/ask"
NOTE_MIN, NOTE_MAX = 3, 200


def ask_key(loan_id: int) -> str:
    return f"dsb:ask:{loan_id}"


def ask_buttons(loan_id: int) -> list[list[tuple[str, str]]]:
    return [[("disbursement.yes", f"dsb:yes:{loan_id}")], [("disbursement.no", f"dsb:no:{loan_id}")]]


def ask_context(d: Disbursement) -> dict[str, object]:
    return {"loan_id": d.loan_id, "principal": d.principal, "disbursed_on": d.disbursed_on}


async def ask_in(tx: Queryable, borrower: Person, *, now: datetime) -> int:
    """Queue the question for each of a linked borrower's unconfirmed loans (once per loan); how many were new."""
    if borrower.telegram_chat_id is None:
        return 0
    queued = 0
    for d in await disbursements.unconfirmed_for_borrower(tx, borrower.id):
        queued += await outbox.enqueue(tx, kind=ASK_KIND, recipient_id=borrower.id, dedupe_key=ask_key(d.loan_id),
                                       template=ASK_TEMPLATE, context=ask_context(d), not_before=now,
                                       buttons=ask_buttons(d.loan_id))
    return queued


async def ask_imported(tx: Queryable, created: Sequence[Loan], *, now: datetime) -> int:
    """``pem-bot import-loans``: ask the borrowers of the new loans who are already on Telegram (the others are
    asked once they open their invite)."""
    queued = 0
    for borrower_id in dict.fromkeys(loan.borrower_id for loan in created):
        person = await people.get(tx, borrower_id)
        if person is not None:
            queued += await ask_in(tx, person, now=now)
    return queued


async def ask_borrower(db: Database, person_id: int, *, now: datetime) -> int:
    """:func:`ask_in` in its own transaction (a borrower linked by another path)."""
    async with db.transaction() as tx:
        person = await people.get(tx, person_id)
        return 0 if person is None else await ask_in(tx, person, now=now)


async def open_questions(db: Database, borrower_id: int) -> list[Disbursement]:
    """``/konfirmasi_dana``: the borrower's loans still waiting for their answer."""
    return await disbursements.unconfirmed_for_borrower(db, borrower_id)


class Answer(StrEnum):
    STORED = "stored"
    ALREADY = "already"  # answered before: ``disbursement`` shows the first answer
    NOT_OWNED = "not_owned"  # not the borrower of this loan (or no such loan)


@dataclass(frozen=True)
class AnswerResult:
    outcome: Answer
    disbursement: Disbursement | None = None
    #: dispute: the lurah and admins of the kelurahan, to alert now
    alert: tuple[Person, ...] = ()


async def confirm(db: Database, loan_id: int, *, by: int, now: datetime) -> AnswerResult:
    return await _answer(db, loan_id, by=by, now=now, status="confirmed", note=None)


async def dispute(db: Database, loan_id: int, *, by: int, note: str, now: datetime, draft_of: int | None = None
                  ) -> AnswerResult:
    """*Belum / tidak sesuai* with the borrower's note (``ValueError`` without one: the form asks it first)."""
    note = " ".join((note or "").split())
    if not note:
        raise ValueError("a dispute needs a note")
    return await _answer(db, loan_id, by=by, now=now, status="disputed", note=note[:NOTE_MAX], draft_of=draft_of)


async def _answer(db: Database, loan_id: int, *, by: int, now: datetime, status: str, note: str | None,
                  draft_of: int | None = None) -> AnswerResult:
    async with db.transaction() as tx:
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
        current = await disbursements.get(tx, loan_id)
        if current is None or current.borrower_id != by:
            return AnswerResult(Answer.NOT_OWNED)
        if not await disbursements.answer(tx, loan_id, status=status, note=note, now=now):
            return AnswerResult(Answer.ALREADY, current)
        await audit.record(tx, f"disbursement.{status}", actor_person_id=by, entity="loan", entity_id=loan_id,
                           kelurahan_code=current.kelurahan_code,
                           details={"principal": current.principal, "disbursed_on": current.disbursed_on,
                                    **({"note": note} if note else {})})
        answered = await disbursements.get(tx, loan_id)
        alert: tuple[Person, ...] = ()
        if status == "disputed":
            seen: dict[int, Person] = {}
            for role in (Role.LURAH, Role.ADMIN):
                for person in await people.with_role(tx, role, current.kelurahan_code):
                    if person.id != by:
                        seen.setdefault(person.id, person)
            alert = tuple(seen.values())
    return AnswerResult(Answer.STORED, answered, alert)
