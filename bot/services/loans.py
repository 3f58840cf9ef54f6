"""Use case: register a loan (``/pinjaman_baru``), with a new borrower when needed.

:func:`create_loan` writes in one transaction:

* the borrower: the one chosen by id (only when they belong to the kelurahan; the ``borrower`` role is added
  when missing), else a new person with the name and phone given, holding the ``borrower`` role;
* the loan and its schedule (:func:`storage.loans.create`, which validates the terms, raising
  :class:`bot.loans.LoanTermsError`, and writes the ``loan.created`` audit row: it is shared with the file
  import, ``pem-bot import-loans``);
* when the borrower has no Telegram account linked, an invite for the ``borrower`` role with its
  ``invite.created`` audit row (:func:`bot.services.invites.issue_invite`, ``via`` = ``newloan``).

The caller found the borrower (by name, or by the phone typed for a new one: a phone of a person of the
kelurahan is that person) and checked every term before; nothing is rendered here.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.loans import LoanTerms
from bot.roles import Role
from bot.services.invites import issue_invite
from storage import loans, people
from storage.db import Database
from storage.invites import Invite
from storage.loans import Loan
from storage.people import Person


@dataclass(frozen=True)
class NewLoanResult:
    loan: Loan
    #: the borrower as before the loan (``roles`` without a role added now; see ``role_added``)
    borrower: Person
    new_borrower: bool
    #: the borrower existed without the borrower role, which was added now (their menu changes)
    role_added: bool
    #: the invite of an unlinked borrower, with its plain token (shown once)
    invite: Invite | None = None
    token: str | None = None


async def create_loan(
    db: Database,
    *,
    kelurahan_code: str,
    created_by: int,
    terms: LoanTerms,
    business: str | None,
    borrower_id: int | None = None,
    name: str | None = None,
    phone: str | None = None,
    language: str = "id",
) -> NewLoanResult:
    """Register a loan for ``borrower_id`` (of ``kelurahan_code``), or for a new borrower ``name``/``phone``."""
    async with db.transaction() as tx:
        borrower = None if borrower_id is None else await people.get(tx, borrower_id)
        if borrower is not None and borrower.kelurahan_code != kelurahan_code:
            borrower = None
        new_borrower = borrower is None
        role_added = False
        if borrower is None:
            assert name is not None, "a new borrower needs a name"
            borrower = await people.create(tx, name=name, kelurahan_code=kelurahan_code, phone=phone,
                                           roles=[Role.BORROWER], language=language)
        elif Role.BORROWER not in borrower.roles:
            await people.add_role(tx, borrower.id, Role.BORROWER)
            role_added = True
        loan = await loans.create(tx, borrower_id=borrower.id, kelurahan_code=kelurahan_code, terms=terms,
                                  business=business, created_by=created_by)
        invite = token = None
        if not borrower.linked:
            invite, token = await issue_invite(tx, borrower, Role.BORROWER, created_by=created_by,
                                               new_person=new_borrower, via="newloan")
    return NewLoanResult(loan, borrower, new_borrower, role_added, invite, token)
