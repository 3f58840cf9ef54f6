"""Maker-checker when the kelurahan's only treasurer is also the borrower (issue 14, item 2): the lurah and the
admins check her report (they get the notice and /verifikasi works for them), she is told who checks it, she is
never asked to check it herself, and the daily nudge goes to them, not to her."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from bot.domain.roles import CheckedBy, Role, checkers
from bot.runtime import clock
from bot.runtime import tick as ticks
from storage import repayments
from tests.handlers.loan_fixtures import make_loan, report
from tests.jobs_fixtures import wita


def test_the_rule_treasurers_first_then_lurah_and_admins_never_the_maker():
    t, tb, lurah, admin, both = ((1, frozenset({Role.TREASURER})), (2, frozenset({Role.TREASURER, Role.BORROWER})),
                                 (3, frozenset({Role.LURAH})), (4, frozenset({Role.ADMIN})),
                                 (5, frozenset({Role.LURAH, Role.BORROWER})))
    assert checkers([t, tb, lurah, admin], {2}) == (CheckedBy.TREASURER, frozenset({1}))
    assert checkers([tb, lurah, admin], {2}) == (CheckedBy.FALLBACK, frozenset({3, 4}))
    assert checkers([tb, both, admin], {2, 5}) == (CheckedBy.FALLBACK, frozenset({4}))
    assert checkers([tb, both], {2, 5}) == (CheckedBy.NOBODY, frozenset())
    assert checkers([(9, frozenset({Role.COORDINATOR}))], {2}) == (CheckedBy.NOBODY, frozenset())


@pytest.fixture
async def lone(running, make_person):
    """A kelurahan whose only treasurer (Maria) is a borrower too, with a lurah and an admin."""
    maria, maria_u = await make_person(Role.TREASURER, Role.BORROWER, name="Maria Bendahara")
    lurah, lurah_u = await make_person(Role.LURAH, name="Pak Lurah")
    admin, admin_u = await make_person(Role.ADMIN, name="Admin Kelurahan", language="en")
    loan = await make_loan(running.app.db, maria)
    return {"maria": maria, "mu": maria_u, "lurah": lurah, "lu": lurah_u, "admin": admin, "au": admin_u,
            "loan": loan}


async def _report_with_bayar(tester, user) -> None:
    await tester.command(user, "bayar")
    await tester.send(user, "500rb")
    await tester.press(user, tester.last(user).button("Lewati"))
    await tester.press(user, tester.last(user).button("Konfirmasi"))


async def test_the_lurah_and_admin_check_the_only_treasurers_own_report(running, tester, lone):
    db = running.app.db
    await _report_with_bayar(tester, lone["mu"])
    done = tester.last(lone["mu"]).text
    assert "menunggu verifikasi lurah atau admin kelurahan" in done and "tidak ada bendahara lain" in done
    (rep,) = await db.fetchall("SELECT id, status, reported_by FROM repayments")
    assert (rep["status"], rep["reported_by"]) == ("pending", lone["maria"].id)

    # the notice goes to the lurah and the admin, not to Maria (no Setujui on her own report)
    assert any("Pembayaran menunggu verifikasi" in t and "tidak ada bendahara lain" in t
               for t in tester.texts(lone["lu"]))
    assert any("Payment waiting for verification" in t and "no other treasurer" in t
               for t in tester.texts(lone["au"]))
    assert not any("Setujui" in b for c in running.request.sent(lone["mu"].chat_id) for b in c.button_texts)

    # Maria's /verifikasi doesn't offer her own report
    await tester.command(lone["mu"], "verifikasi")
    assert "Tidak ada pembayaran" in tester.last(lone["mu"]).text

    # the lurah's does, and Setujui works for him
    await tester.command(lone["lu"], "verifikasi")
    listed = tester.last(lone["lu"])
    assert "PB-" in listed.text and "Maria Bendahara" in listed.text
    await tester.press(lone["lu"], listed.button("✅"))
    stored = await repayments.get(db, rep["id"])
    assert (stored.status, stored.verified_by) == ("verified", lone["lurah"].id)


async def test_the_lurah_is_not_a_checker_while_another_treasurer_can_check(running, tester, lone, make_person):
    db = running.app.db
    _, other_u = await make_person(Role.TREASURER, name="Bendahara Dua")
    await _report_with_bayar(tester, lone["mu"])
    assert "menunggu verifikasi bendahara" in tester.last(lone["mu"]).text
    assert any("Pembayaran menunggu verifikasi" in t for t in tester.texts(other_u))
    assert not any("Pembayaran menunggu verifikasi" in t for t in tester.texts(lone["lu"]))

    await tester.command(lone["lu"], "verifikasi")
    assert "Tidak ada pembayaran" in tester.last(lone["lu"]).text
    (rep,) = await db.fetchall("SELECT id FROM repayments")
    calls = await tester.press(lone["lu"], f"ver:ok:{rep['id']}")
    assert any("diperiksa oleh bendahara" in str(c.params.get("text")) for c in calls)
    assert (await repayments.get(db, rep["id"])).status == "pending"


async def test_the_daily_nudge_goes_to_the_checkers_not_the_maker(running, lone, monkeypatch):
    db = running.app.db
    monkeypatch.setattr(clock, "utcnow", lambda: wita(2026, 11, 26, 12).astimezone(UTC))
    await report(db, lone["loan"], lone["maria"], paid_on=date(2026, 11, 26))
    running.request.clear()
    await ticks.run_due(db, running.app.bot, running.app.settings, wita(2026, 11, 28, 7, 30), catch_up=False)
    nudged = {c.chat_id for c in running.request.sent() if "menunggu verifikasi lebih dari 24 jam" in c.text
              or "waited more than 24 hours" in c.text}
    assert nudged == {lone["lu"].chat_id, lone["au"].chat_id}
