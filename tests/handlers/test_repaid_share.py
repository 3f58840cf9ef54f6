"""The repaid-share rule per kelurahan (issue 16 part 5: "A kelurahan may set a minimum repaid share of its earlier
loans (e.g. 60%) before new loans are disbursed"): the lurah sets it with /syarat_kembali, the city's
PEM_RELENDING_MIN_REPAID_PERCENT is the default, `pem-bot repaid-share` does the same from the command line, and
a blocked disbursement says which rule blocks, with the figures. NOW is Saturday 28 November 2026 (frozen)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from bot.cli import run as cli
from bot.domain.roles import Role
from bot.runtime import clock
from bot.services import applications as service
from bot.services import cash_book as cash_service
from storage import audit, kelurahan
from tests.bot.cli.test_main import env  # noqa: F401 (the fixture)
from tests.conftest import NAIKOTEN_SATU
from tests.handlers.loan_fixtures import make_loan, record

pytestmark = pytest.mark.usefixtures("no_pacing")
OEBOBO = "53.71.04.1001"


@pytest.fixture
async def world(running, make_person):
    db = running.app.db
    treasurer, tu = await make_person(Role.TREASURER, name="Fransiska Manafe")
    lurah, lu = await make_person(Role.LURAH, name="Daniel Tallo")
    admin, au = await make_person(Role.ADMIN, name="Maria Lay", language="en")
    borrower, _ = await make_person(Role.BORROWER, name="Yuliana Bessie")
    earlier = await make_loan(db, borrower)  # Rp6.000.000, 12 × Rp500.000
    await record(db, earlier, treasurer, 3_500_000)  # 58,3 % of 6.000.000
    await cash_service.record_entry(db, kelurahan_code=NAIKOTEN_SATU, kind="opening", account="bank",
                                    amount=20_000_000, entry_date=date(2026, 11, 2), description="Dana PEM",
                                    recorded_by=treasurer.id, now=clock.utcnow(), idempotency_key="open-share",
                                    round_label="Tahap 1")
    made = await service.submit(db, kelurahan_code=NAIKOTEN_SATU, entered_by=admin.id, for_self=False,
                                name="Agustinus Nope", nik="5371050505850001", phone="+6281298765432",
                                business="Kios", business_type="kios", amount=2_000_000, purpose="Tambah stok",
                                photo_file_id=None, language="id", now=clock.utcnow())
    await service.verify(db, made.application.id, by=treasurer, now=clock.utcnow())
    await service.decide(db, made.application.id, by=lurah, approve=True, reason=None, now=clock.utcnow())
    return {"db": db, "t": treasurer, "tu": tu, "l": lurah, "lu": lu, "a": admin, "au": au,
            "app": made.application.id, "earlier": earlier}


async def test_the_lurah_sets_the_kelurahans_share_and_the_disbursement_says_which_rule_blocks(running, tester,
                                                                                                world):
    db, tu, lu, au = world["db"], world["tu"], world["lu"], world["au"]
    # the city's default is 0 (off): nothing blocks
    await tester.press(tu, f"apl:pay:{world['app']}")
    assert "Tanggal pencairan" in tester.last(tu).text
    await tester.command(tu, "batal")

    # a treasurer may not set the rule
    await tester.command(tu, "syarat_kembali")
    assert "Syarat pengembalian sebelum pinjaman baru" not in tester.last(tu).text

    await tester.command(lu, "syarat_kembali")
    ask = tester.last(lu)
    assert "tidak ada syarat" in ask.text and "(aturan kota)" in ask.text
    assert "sudah kembali Rp3.500.000 dari Rp6.000.000 (58,3%)" in ask.text
    assert ask.button_texts[:5] == ["0% (tanpa syarat)", "50%", "60%", "70%", "80%"]
    await tester.send(lu, "150")
    assert "0 sampai 100" in tester.texts(lu)[-2] and "Berapa persen" in tester.last(lu).text
    await tester.send(lu, "enam puluh")
    assert "0 sampai 100" in tester.texts(lu)[-2] and "Berapa persen" in tester.last(lu).text
    await tester.send(lu, "60%")
    assert "pinjaman sebelumnya sudah kembali paling sedikit <b>60%</b>" in tester.last(lu).text
    assert await kelurahan.min_repaid_percent(db, NAIKOTEN_SATU) == 60
    assert await kelurahan.min_repaid_percent(db, OEBOBO) is None  # other kelurahan keep the city's rule
    (row,) = await audit.recent(db, action="kelurahan.repaid_share_set")
    assert (row.actor_person_id, row.kelurahan_code) == (world["l"].id, NAIKOTEN_SATU)
    assert (row.details["before"], row.details["before_source"], row.details["after"],
            row.details["after_source"]) == (0, "city", 60, "kelurahan")

    # now the share blocks, and the bot says it is the share (the kelurahan's rule), with the figures
    await tester.press(tu, f"apl:pay:{world['app']}")
    text = tester.last(tu).text
    assert "Syarat pengembalian (aturan kelurahan)" in text and "Batas dana" not in text
    assert "baru kembali Rp3.500.000 dari Rp6.000.000 (58,3%); syaratnya paling sedikit 60%" in text
    assert (await db.fetchone("SELECT status FROM applications WHERE id = :i", {"i": world["app"]}))[0] == "approved"

    # the city raises its default to 70 %: the kelurahan's own 60 % still applies; at 60 % exactly it goes
    running.app.settings = dataclasses.replace(running.app.settings, relending_min_repaid_percent=70)
    await record(db, world["earlier"], world["t"], 100_000)
    await tester.press(tu, f"apl:pay:{world['app']}")
    assert "Tanggal pencairan" in tester.last(tu).text
    await tester.command(tu, "batal")

    # the admin sets the kelurahan back to the city's rule (70 %): it blocks again, as the city's rule
    await tester.command(au, "repaid_share")
    await tester.press(au, tester.last(au).button("city's rule (70%)"))
    assert "(following the city's rule)" in tester.last(au).text
    assert await kelurahan.min_repaid_percent(db, NAIKOTEN_SATU) is None
    await tester.press(tu, f"apl:pay:{world['app']}")
    text = tester.last(tu).text
    assert "Syarat pengembalian (aturan kota)" in text and "(60,0%); syaratnya paling sedikit 70%" in text

    # and a kelurahan may switch the rule off for itself although the city has one
    await tester.command(lu, "syarat_kembali")
    await tester.press(lu, tester.last(lu).button("0% (tanpa syarat)"))
    assert "tanpa syarat pengembalian" in tester.last(lu).text
    assert await kelurahan.min_repaid_percent(db, NAIKOTEN_SATU) == 0
    await tester.press(tu, f"apl:pay:{world['app']}")
    assert "Tanggal pencairan" in tester.last(tu).text
    assert len(await audit.recent(db, action="kelurahan.repaid_share_set")) == 3


def test_the_command_line_shows_sets_and_clears_a_kelurahans_share(env, capsys):  # noqa: F811
    assert cli.main(["repaid-share", "--kelurahan", "Naikoten Satu"]) == 0
    out = capsys.readouterr().out
    assert "Naikoten Satu (53.71.05.1004): syarat pengembalian 0% (tanpa syarat), aturan kota" in out
    assert cli.main(["repaid-share", "--kelurahan", "Naikoten Satu", "--percent", "60"]) == 0
    assert "syarat pengembalian 60%, aturan kelurahan (aturan kota 0%), disimpan" in capsys.readouterr().out
    assert cli.main(["repaid-share", "--kelurahan", "Naikoten Satu"]) == 0
    assert "60%, aturan kelurahan" in capsys.readouterr().out
    assert cli.main(["repaid-share", "--kelurahan", "Naikoten Satu", "--percent", "101"]) == 2
    assert "0 sampai 100" in capsys.readouterr().err
    assert cli.main(["repaid-share", "--kelurahan", "Atlantis", "--percent", "50"]) == 2
    assert cli.main(["repaid-share", "--kelurahan", "Naikoten Satu", "--city-default"]) == 0
    assert "0% (tanpa syarat), aturan kota" in capsys.readouterr().out


async def test_when_the_balance_and_the_share_both_block_the_bot_says_both(running, tester, world):
    db, tu = world["db"], world["tu"]
    assert await service.set_share_rule(db, NAIKOTEN_SATU, 60, by=world["l"].id, city_default=0,
                                        now=clock.utcnow(), via="bot")
    # Rp20.000.000 opening, Rp6.000.000 lent earlier: Rp14.000.000 + 3.500.000 repaid = Rp17.500.000 in the books
    big = await service.submit(db, kelurahan_code=NAIKOTEN_SATU, entered_by=world["a"].id, for_self=False,
                               name="Petrus Lake", nik="5371050505850002", phone="+6281298765433",
                               business="Kios", business_type="kios", amount=25_000_000, purpose="Tambah stok",
                               photo_file_id=None, language="id", now=clock.utcnow())
    await service.verify(db, big.application.id, by=world["t"], now=clock.utcnow())
    await service.decide(db, big.application.id, by=world["l"], approve=True, reason=None, now=clock.utcnow())
    check = await service.lending_position(db, NAIKOTEN_SATU, 25_000_000, today=date(2026, 11, 28),
                                           tz=running.settings.timezone, city_min_percent=0)
    assert (check.blocked, check.share_short, check.balance, check.shortfall) == (
        "balance", True, 17_500_000, 7_500_000)
    # the bot's answer for the head of the list (the older application) once the balance is low as well
    await cash_service.record_entry(db, kelurahan_code=NAIKOTEN_SATU, kind="bank_charge", account="bank",
                                    amount=16_000_000, entry_date=date(2026, 11, 3), description="Biaya",
                                    recorded_by=world["t"].id, now=clock.utcnow(), idempotency_key="charge-1")
    await tester.press(tu, f"apl:pay:{world['app']}")
    text = tester.last(tu).text
    assert "<b>Batas dana:</b> saldo buku kas hari ini Rp1.500.000, kurang Rp500.000 dari Rp2.000.000" in text
    assert "<b>Syarat pengembalian (aturan kelurahan):</b> pinjaman sebelumnya baru kembali Rp3.500.000" in text
