"""Use cases of loans: registering one (``/pinjaman_baru``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.services import disbursements as disbursement_service
from storage import audit, drafts, invites, loans, people
from storage.db import Database, Queryable
from storage.invites import Invite
from storage.loans import Loan
from storage.people import Person


@dataclass(frozen=True)
class NewLoan:
    loan: Loan
    borrower: Person
    #: the borrower was given the borrower role by this loan (their command menu changes)
    new_role: bool
    #: an invite for the borrower role and its token, when the borrower has no Telegram account linked yet
    invite: Invite | None = None
    token: str | None = None


async def create_loan(
    db: Database, *, kelurahan_code: str, terms: LoanTerms, business: str | None, created_by: int,
    borrower_id: int | None, name: str, phone: str | None, language: str, now: datetime,
    draft_of: int | None = None,
) -> NewLoan:
    """Register a loan with its schedule, in one transaction: the borrower (``borrower_id`` when they are a
    person of ``kelurahan_code``, else a new person with ``name`` and ``phone``) gets the borrower role, the
    loan is created (``loans.create`` audits ``loan.created``), and a borrower not on Telegram gets a one-time
    invite (audited); a borrower already on Telegram is asked to confirm the disbursement
    (:func:`bot.services.disbursements.ask_in`, an outbox row in this transaction). ``draft_of``: the Telegram
    user whose form draft this finishes, deleted in the same transaction. Raises
    :class:`bot.domain.loans.LoanTermsError` for terms the domain refuses (nothing is stored)."""
    async with db.transaction() as tx:
        made = await create_loan_in(tx, kelurahan_code=kelurahan_code, terms=terms, business=business,
                                    created_by=created_by, borrower_id=borrower_id, name=name, phone=phone,
                                    language=language, now=now)
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return made


async def create_loan_in(
    tx: Queryable, *, kelurahan_code: str, terms: LoanTerms, business: str | None, created_by: int,
    borrower_id: int | None, name: str, phone: str | None, language: str, now: datetime, via: str = "newloan",
) -> NewLoan:
    """:func:`create_loan`'s work inside the caller's transaction (an application's disbursement,
    :func:`bot.services.applications.disburse`, stores the loan and moves the application in one)."""
    borrower = None if borrower_id is None else await people.get(tx, borrower_id)
    if borrower is not None and borrower.kelurahan_code != kelurahan_code:
        borrower = None
    new_role = borrower is None or Role.BORROWER not in borrower.roles
    if borrower is None:
        borrower = await people.create(tx, name=name, kelurahan_code=kelurahan_code, phone=phone,
                                       roles=[Role.BORROWER], language=language)
    elif Role.BORROWER not in borrower.roles:
        await people.add_role(tx, borrower.id, Role.BORROWER)
    loan = await loans.create(tx, borrower_id=borrower.id, kelurahan_code=kelurahan_code, terms=terms,
                              business=business, created_by=created_by, now=now)
    invite = token = None
    if borrower.linked:  # issue 15: the borrower is asked whether they received the money
        await disbursement_service.ask_in(tx, borrower, now=now)
    else:
        invite, token = await invites.create(tx, person_id=borrower.id, role=Role.BORROWER, now=now,
                                             created_by=created_by)
        await audit.record(tx, "invite.created", actor_person_id=created_by, entity="invite",
                           entity_id=invite.id, kelurahan_code=kelurahan_code,
                           details={"person_id": borrower.id, "role": str(Role.BORROWER), "via": via})
    return NewLoan(loan, borrower, new_role, invite, token)
