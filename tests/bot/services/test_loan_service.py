"""bot.services.loans.create_loan directly against a migrated database: borrower, loan, invite, audit rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.loans import LoanTerms, LoanTermsError
from bot.roles import Role
from bot.services.loans import create_loan
from storage import audit, people
from tests.conftest import NAIKOTEN_SATU

TERMS = LoanTerms(6_000_000, date(2026, 9, 28), 12, 0, Decimal(0))


@pytest.fixture
async def treasurer(db, frozen_clock):
    async with db.transaction() as tx:
        return await people.create(tx, name="Bendahara Satu", kelurahan_code=NAIKOTEN_SATU, roles=[Role.TREASURER])


async def test_new_borrower_loan_and_invite_in_one_go(db, treasurer):
    result = await create_loan(db, kelurahan_code=NAIKOTEN_SATU, created_by=treasurer.id, terms=TERMS,
                               business="Warung", name="Maria Bria", phone="+6281234567890")
    assert result.new_borrower and not result.role_added
    assert result.borrower.roles == {Role.BORROWER} and result.borrower.phone == "+6281234567890"
    assert (result.loan.borrower_id, result.loan.principal) == (result.borrower.id, 6_000_000)
    assert result.invite is not None and result.invite.role is Role.BORROWER and result.token
    [loan_entry] = await audit.recent(db, action="loan.created")
    [invite_entry] = await audit.recent(db, action="invite.created")
    assert loan_entry.actor_person_id == invite_entry.actor_person_id == treasurer.id
    assert invite_entry.details == {"person_id": result.borrower.id, "role": "borrower", "new_person": True,
                                    "via": "newloan"}


async def test_existing_linked_person_gets_the_role_and_no_invite(db, treasurer):
    async with db.transaction() as tx:
        lurah = await people.create(tx, name="Pak Lurah", kelurahan_code=NAIKOTEN_SATU, roles=[Role.LURAH])
        await people.link_telegram(tx, lurah.id, 555, 555)
    result = await create_loan(db, kelurahan_code=NAIKOTEN_SATU, created_by=treasurer.id, terms=TERMS,
                               business=None, borrower_id=lurah.id)
    assert not result.new_borrower and result.role_added and result.invite is None
    assert (await people.get(db, lurah.id)).roles == {Role.LURAH, Role.BORROWER}
    assert not await audit.recent(db, action="invite.created")


async def test_a_borrower_of_another_kelurahan_is_never_lent_to_here(db, treasurer):
    async with db.transaction() as tx:
        other = await people.create(tx, name="Yohana Lake", kelurahan_code="53.71.01.1001", roles=[Role.BORROWER])
    result = await create_loan(db, kelurahan_code=NAIKOTEN_SATU, created_by=treasurer.id, terms=TERMS,
                               business=None, borrower_id=other.id, name="Yohana Lake")
    assert result.new_borrower and result.borrower.id != other.id
    assert result.borrower.kelurahan_code == NAIKOTEN_SATU


async def test_bad_terms_write_nothing(db, treasurer):
    with pytest.raises(LoanTermsError):
        await create_loan(db, kelurahan_code=NAIKOTEN_SATU, created_by=treasurer.id, business=None,
                          terms=LoanTerms(0, date(2026, 9, 28), 12, 0, Decimal(0)), name="Maria Bria")
    assert [p.id for p in await people.list_people(db)] == [treasurer.id]
    assert not await audit.recent(db)
