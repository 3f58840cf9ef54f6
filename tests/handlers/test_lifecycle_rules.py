"""Issue 16's lists and maker-checker, through the bot: /persetujuan and /pengajuan paginate within Telegram's
limits with many items (the longest names), and in a kelurahan with a single treasurer the lurah or an admin acts
as the checker while nobody ever checks their own action (reschedule, write-off, application verify / approve /
disburse). NOW is Saturday 28 November 2026, 10:00 WITA (frozen)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import applications as app_service
from bot.services import cash_book as cash_service
from bot.services import lifecycle as service
from storage import audit, lifecycle, loans
from tests.conftest import NAIKOTEN_SATU
from tests.handlers.loan_fixtures import make_loan

pytestmark = pytest.mark.usefixtures("no_pacing")
LONG = "Yohanes Maria Fernandez Bria Seran Da Costa Lerik Haning Ndolu Benyamin Tallo Nope"[:80]


def _within_limits(call) -> None:
    assert len(call.text) <= 4096, len(call.text)
    for row in call.buttons:
        for _, data in row:
            assert len(data.encode()) <= 64, data


async def test_persetujuan_pages_many_proposals_and_rejects_from_a_later_page(running, tester, make_person):
    db = running.app.db
    treasurer, tu = await make_person(Role.TREASURER, name="Maria Goreti Bria Seran")
    _lurah, lu = await make_person(Role.LURAH, name="Pak Lurah")
    ids = []
    for n in range(20):
        borrower, _ = await make_person(Role.BORROWER, name=f"{LONG[:70]} {n:02d}")
        loan = await make_loan(db, borrower)
        result = await service.propose_write_off(db, loan_id=loan.id, by=treasurer.id, kelurahan_code=NAIKOTEN_SATU,
                                                 reason="business_failed", note="n" * 200, now=clock.utcnow(),
                                                 today=date(2026, 11, 28))
        assert result.ok
        ids.append(result.proposal.id)
    await tester.command(lu, "persetujuan")
    first = tester.last(lu)
    _within_limits(first)
    assert "(20)" in first.text and "1–8 (halaman 1/3)" in first.text
    assert f"HB-{ids[0]:05d}" in first.text and f"HB-{ids[8]:05d}" not in first.text
    assert len(first.buttons) == 9 and first.buttons[-1] == [("Berikutnya ›", "lc:list:1")]
    await tester.press(lu, first.button("Berikutnya"))
    second = tester.last(lu)
    _within_limits(second)
    assert "9–16 (halaman 2/3)" in second.text and f"HB-{ids[8]:05d}" in second.text
    await tester.press(lu, second.button("Berikutnya"))
    third = tester.last(lu)
    _within_limits(third)
    assert "17–20 (halaman 3/3)" in third.text and len(third.buttons) == 5  # 4 proposals and ‹ Sebelumnya
    await tester.press(lu, "lc:list:99")  # a page past the end shows the last one
    assert "17–20 (halaman 3/3)" in tester.last(lu).text
    # reject the 18th from the last page: the reason is asked, stored and told to the treasurer
    await tester.press(lu, third.button(f"❌ HB-{ids[17]:05d}"))
    await tester.send(lu, "Masih bisa ditagih")
    assert "Alasan: Masih bisa ditagih" in tester.last(lu).text
    assert "Alasan: Masih bisa ditagih" in tester.last(tu).text
    rejected = await lifecycle.get(db, ids[17])
    assert (rejected.status, rejected.decision_note) == ("rejected", "Masih bisa ditagih")
    await tester.command(lu, "persetujuan")
    assert "(19)" in tester.last(lu).text


async def test_pengajuan_pages_many_applications_within_telegrams_limits(running, tester, make_person):
    db = running.app.db
    treasurer, _ = await make_person(Role.TREASURER, name="Fransiska Manafe")
    _lurah, lu = await make_person(Role.LURAH, name="Daniel Tallo")
    admin, _ = await make_person(Role.ADMIN, name="Maria Lay")
    for n in range(23):
        made = await app_service.submit(
            db, kelurahan_code=NAIKOTEN_SATU, entered_by=admin.id, for_self=False, name=f"{LONG[:75]} {n:02d}",
            nik=f"53710505058500{n + 1:02d}", phone=f"+62812000001{n + 1:02d}", business="k" * 80,
            business_type="kios", amount=25_000_000, purpose="p" * 300, photo_file_id=None, language="id",
            now=clock.utcnow())
        await app_service.verify(db, made.application.id, by=treasurer, now=clock.utcnow())
    await tester.command(lu, "pengajuan")
    await tester.press(lu, tester.last(lu).button("Sudah diperiksa (23)"))
    seen = []
    for page in range(5):
        call = tester.last(lu)
        _within_limits(call)
        assert f"(halaman {page + 1}/5)" in call.text
        seen += [data for row in call.buttons for _, data in row if data.startswith("apl:open:")]
        if page < 4:
            await tester.press(lu, call.button("Berikutnya"))
    assert len(seen) == 23 == len(set(seen))
    # each one opens with the actions the lurah may take on it
    await tester.press(lu, seen[-1])
    card = tester.last(lu)
    _within_limits(card)
    assert [t for t in card.button_texts] == ["✅ Setujui", "❌ Tolak"]


async def test_a_single_treasurer_kelurahan_the_lurah_or_admin_checks_never_the_maker(running, tester, make_person):
    db = running.app.db
    treasurer, tu = await make_person(Role.TREASURER, name="Fransiska Manafe")  # the only treasurer
    lurah, lu = await make_person(Role.LURAH, name="Daniel Tallo")
    admin, au = await make_person(Role.ADMIN, name="Maria Lay", language="en")
    borrower, _ = await make_person(Role.BORROWER, name="Yohanis Ndolu")
    loan = await make_loan(db, borrower)  # Rp6.000.000 from 28 September 2026, nothing paid

    # reschedule: the only treasurer proposes; she cannot decide it; the lurah does
    await tester.command(tu, "restrukturisasi")
    await tester.send(tu, "yohanis")
    await tester.press(tu, tester.last(tu).button("Yohanis Ndolu"))
    await tester.send(tu, "12")
    await tester.press(tu, tester.last(tu).button("0 bln"))
    await tester.press(tu, tester.last(tu).button("28 Des 2026"))
    await tester.press(tu, tester.last(tu).button("Konfirmasi"))
    (prop,) = await db.fetchall("SELECT id FROM loan_proposals")
    await tester.press(tu, f"lc:ok:{prop['id']}")
    await tester.press(tu, f"lc:no:{prop['id']}")
    assert (await lifecycle.get(db, prop["id"])).status == "pending"
    assert await db.fetchval("SELECT count(*) FROM form_drafts WHERE kind = 'lcno'") == 0  # no reason asked
    # the admin may not either while the lurah can
    await tester.press(au, f"lc:ok:{prop['id']}")
    assert "decided by the kelurahan's lurah" in tester.last(au).text
    await tester.press(lu, tester.last(lu).button("Setujui"))
    decided = await lifecycle.get(db, prop["id"])
    assert (decided.status, decided.decided_by) == ("approved", lurah.id)
    assert (await loans.summary(db, loan.id)).state.installments[0].installment.due_date == date(2026, 12, 28)

    # write-off on a loan of a second lurah: she may not decide it (her own loan); the other lurah does
    lb, lbu = await make_person(Role.BORROWER, Role.LURAH, name="Lurah Peminjam")
    own = await make_loan(db, lb)
    proposed = await service.propose_write_off(db, loan_id=own.id, by=treasurer.id, kelurahan_code=NAIKOTEN_SATU,
                                               reason="other", note=None, now=clock.utcnow(),
                                               today=date(2026, 11, 28))
    assert proposed.ok and str(proposed.checked_by) == "lurah"  # the other lurah (Daniel) decides
    await tester.press(lbu, f"lc:no:{proposed.proposal.id}")
    assert "atas pinjaman Anda sendiri" in tester.last(lbu).text  # a maker (her own loan): refused
    assert (await lifecycle.get(db, proposed.proposal.id)).status == "pending"
    await tester.press(lu, f"lc:no:{proposed.proposal.id}")
    await tester.send(lu, "Belum waktunya dihapus")
    assert (await lifecycle.get(db, proposed.proposal.id)).decided_by == lurah.id

    # applications: the only treasurer enters one; the admin verifies it, the lurah approves, and the
    # treasurer, a maker, cannot disburse it: the admin does
    await cash_service.record_entry(db, kelurahan_code=NAIKOTEN_SATU, kind="opening", account="bank",
                                    amount=20_000_000, entry_date=date(2026, 11, 2), description="Dana PEM",
                                    recorded_by=treasurer.id, now=clock.utcnow(), idempotency_key="open-mc",
                                    round_label="Tahap 1")
    made = await app_service.submit(db, kelurahan_code=NAIKOTEN_SATU, entered_by=treasurer.id, for_self=False,
                                    name="Agustinus Nope", nik="5371050505850001", phone="+6281298765432",
                                    business="Kios", business_type="kios", amount=2_000_000, purpose="Tambah stok",
                                    photo_file_id=None, language="id", now=clock.utcnow())
    app_id = made.application.id
    await tester.press(tu, f"apl:ver:{app_id}")
    assert "pengajuan Anda sendiri" in tester.last(tu).text
    await tester.press(au, f"apl:ver:{app_id}")
    await tester.press(au, f"apl:ok:{app_id}")  # the lurah can decide: not the admin
    assert (await app_service.applications.get(db, app_id)).status == "verified"
    await tester.press(lu, f"apl:ok:{app_id}")
    assert (await app_service.applications.get(db, app_id)).status == "approved"
    await tester.press(tu, f"apl:pay:{app_id}")
    assert "pengajuan Anda sendiri" in tester.last(tu).text
    await tester.press(au, f"apl:pay:{app_id}")
    await tester.press(au, tester.last(au).button("Today"))
    await tester.press(au, tester.last(au).button("12"))
    await tester.press(au, tester.last(au).button("0"))
    await tester.press(au, tester.last(au).button("0%"))
    await tester.press(au, tester.last(au).button("Confirm"))
    row = await db.fetchone("SELECT status, entered_by, verified_by, decided_by, disbursed_by FROM applications "
                            "WHERE id = :i", {"i": app_id})
    assert tuple(row) == ("disbursed", treasurer.id, admin.id, lurah.id, admin.id)
    steps = {r.action: r.actor_person_id for r in await audit.recent(db, limit=100)}
    assert steps["application.verified"] == admin.id and steps["application.approved"] == lurah.id
    assert steps["application.disbursed"] == admin.id


async def test_whoever_verified_an_application_does_not_decide_it_and_a_rejection_needs_a_reason(
        running, tester, make_person):
    """The kelurahan's lurah is also its only treasurer: she verifies, so an admin decides; the applicant, on
    Telegram, reads the reason."""
    db = running.app.db
    lt, ltu = await make_person(Role.TREASURER, Role.LURAH, name="Ibu Lurah Bendahara")
    admin, au = await make_person(Role.ADMIN, name="Maria Lay", language="en")
    resident, ru = await make_person(Role.PARTICIPANT, name="Yuliana Bessie", phone="+6281234567890")
    made = await app_service.submit(db, kelurahan_code=NAIKOTEN_SATU, entered_by=resident.id, for_self=True,
                                    name="Yuliana Bessie", nik="5371054107900003", phone="+6281234567890",
                                    business="Warung makan", business_type="kuliner", amount=5_000_000,
                                    purpose="Tambah kompor", photo_file_id=None, language="id", now=clock.utcnow())
    app_id = made.application.id
    await tester.press(ltu, f"apl:ver:{app_id}")
    assert "sudah diperiksa bendahara" in tester.last(ru).text
    assert "waits for your decision" in tester.last(au).text  # the admin, as the lurah verified it
    for data in (f"apl:ok:{app_id}", f"apl:no:{app_id}"):
        await tester.press(ltu, data)
        assert "Anda yang memeriksa pengajuan ini" in tester.last(ltu).text
    assert (await app_service.applications.get(db, app_id)).status == "verified"
    # a rejection without a real reason is refused by the service as well as by the form
    with pytest.raises(app_service.ApplicationError):
        await app_service.decide(db, app_id, by=admin, approve=False, reason="   ", now=clock.utcnow())
    await tester.press(au, tester.last(au).button("Reject"))
    await tester.send(au, "no")
    assert "Why" in tester.last(au).text or "reason" in tester.last(au).text.lower()
    await tester.send(au, "The business is not running yet; apply again in three months")
    told = tester.last(ru).text
    assert "<b>tidak disetujui</b>. Alasan: The business is not running yet; apply again in three months" in told
    row = await db.fetchone("SELECT status, reason, verified_by, decided_by FROM applications WHERE id = :i",
                            {"i": app_id})
    assert tuple(row) == ("rejected", "The business is not running yet; apply again in three months", lt.id,
                          admin.id)
    (rej,) = await audit.recent(db, action="application.rejected")
    assert (rej.actor_person_id, rej.details["reason"]) == (admin.id, row["reason"])
