"""Issue 14, item 3 through the bot: the longest name allowed makes a welcome Telegram takes, and a list
longer than 4,096 characters arrives as several messages, the buttons under the last one."""

from __future__ import annotations

from datetime import date

from bot.domain.loans import LoanTerms
from bot.domain.names import NAME_MAX
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import invites as invite_service
from storage import loans, repayments
from tests.harness import User

LONGEST = ("Yohana Maria Goreti Fransiska Bria Lerik " * 3)[:NAME_MAX - 1] + "a"  # exactly 80 characters


async def test_the_welcome_with_the_longest_name_allowed_is_one_message(running, tester, frozen_clock):
    result = await invite_service.create_invite(running.app.db, role=Role.TREASURER, name=LONGEST,
                                                kelurahan_code="53.71.05.1004", now=frozen_clock.now, via="cli")
    assert result.outcome is invite_service.InviteOutcome.CREATED
    too_long = await invite_service.create_invite(running.app.db, role=Role.TREASURER, name=LONGEST + "a",
                                                  kelurahan_code="53.71.05.1004", now=frozen_clock.now, via="cli")
    assert too_long.outcome is invite_service.InviteOutcome.BAD_NAME
    user = User(555_001)
    calls = await tester.command(user, "start", result.token)
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 1 and LONGEST in sent[0].text and len(sent[0].text) <= 4096
    row = await running.app.db.fetchone("SELECT telegram_user_id FROM people WHERE id = :id",
                                        {"id": result.person.id})
    assert row["telegram_user_id"] == user.id


async def test_a_question_longer_than_a_message_is_split_with_the_buttons_last(running, tester, make_person):
    borrower, user = await make_person(Role.BORROWER, name=LONGEST)
    async with running.app.db.transaction() as tx:
        loan = await loans.create(tx, borrower_id=borrower.id, kelurahan_code=borrower.kelurahan_code,
                                  terms=LoanTerms(principal=25_000_000, disbursed_on=date(2026, 8, 15),
                                                  tenor_months=12), business="Warung", created_by=None,
                                                  now=clock.utcnow())
        for n in range(120):  # a pathological pile of small pending reports: the question lists them all
            await repayments.report(tx, loan_id=loan.id, amount=10_000 + n, paid_on=date(2026, 11, 1),
                                    method="cash", reported_by=borrower.id, idempotency_key=f"k{n}", now=clock.utcnow())
    calls = await tester.command(user, "bayar")
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) >= 2 and all(len(c.text) <= 4096 for c in sent)
    assert sent[0].text.startswith("<b>Lapor pembayaran</b>") and "Berapa yang Anda bayar?" in sent[-1].text
    assert all(c.buttons == [] for c in sent[:-1]) and any("Angsuran ke-" in b for b in sent[-1].button_texts)
    assert sum(c.text.count("PB-") for c in sent) == 120
