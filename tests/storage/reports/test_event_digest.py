"""The Karang Taruna part of the daily digest against a hand-made fixture, the city's one total line, /ringkasan,
and the 4096-character limit with 200 overdue borrowers plus 10 upcoming events.

Fixture, "today" = Saturday 28 November 2026 (WITA), Naikoten Satu unless stated:

- "Pelatihan Las" Mon 30 Nov 09:00, capacity 2: Ana signed up 26 Nov (before yesterday), Beni 27 Nov 10:00,
  Citra 28 Nov 09:00 (waitlisted) → 2/2 seats, 1 waiting; 2 sign-ups since yesterday 00:00.
- "Bazar UMKM" Fri 4 Dec 23:00, capacity 5, nobody → 0/5 (the last day of the 7-day window: today and the
  6 following days).
- "Pelatihan Jahit" Sat 5 Dec 09:00 → outside the window (the 8th day). "Acara Batal" Sun 29 Nov, cancelled → left out.
- Oebobo: an event Sun 29 Nov with one sign-up yesterday → only in the city total (3).
- Outcomes of a July training: Dodi employed 15 Sep then own business 1 Nov (latest counts: own_business),
  Eko still looking 1 Aug (older than 90 days: not counted), Fani employed 20 Nov.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.roles import Role
from bot.services.digest import city_context, kelurahan_contexts
from messages import MAX_MESSAGE_LENGTH, render
from storage import events, outcomes, participants, registrations
from tests.handlers.loan_fixtures import make_loan
from tests.jobs_fixtures import NAIKOTEN_SATU, WITA, add_person, wita

TODAY = date(2026, 11, 28)
NOW = wita(2026, 11, 28, 10)
OEBOBO = "53.71.04.1001"
_niks = iter(range(5371051207990100, 5371051207999999))


async def make_event(db, title, starts_at, *, capacity=10, kelurahan=NAIKOTEN_SATU, kind="training"):
    async with db.transaction() as tx:
        return await events.create_event(
            tx, kelurahan_code=kelurahan, title=title, kind=kind, organiser="disnaker", starts_at=starts_at,
            place="Aula", capacity=capacity, registration_deadline=starts_at - timedelta(hours=1), min_age=None,
            max_age=None, created_by=None)


async def sign_up(db, event, name, at, *, kelurahan=NAIKOTEN_SATU):
    async with db.transaction() as tx:
        p = await participants.create_participant(
            tx, kelurahan_code=kelurahan, name=name, nik=str(next(_niks)), birth_date=None, sex=None, phone=None,
            address=None, education=None, work_status=None, consent_at=at, created_by=None)
        await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=None, now=at)
    return p


async def outcome(db, event, participant, status, at):
    async with db.transaction() as tx:
        await outcomes.record_outcome(tx, participant_id=participant.id, event_id=event.id, status=status,
                                    business_type=None, recorded_by=None, now=at)


async def build(db):
    las = await make_event(db, "Pelatihan Las", wita(2026, 11, 30, 9), capacity=2)
    await sign_up(db, las, "Ana", wita(2026, 11, 26, 10))
    await sign_up(db, las, "Beni", wita(2026, 11, 27, 10))
    await sign_up(db, las, "Citra", wita(2026, 11, 28, 9))
    await make_event(db, "Bazar UMKM", wita(2026, 12, 4, 23), capacity=5, kind="event")
    await make_event(db, "Pelatihan Jahit", wita(2026, 12, 5, 9))
    gone = await make_event(db, "Acara Batal", wita(2026, 11, 29, 9))
    async with db.transaction() as tx:
        await events.set_event_status(tx, gone.id, events.EventStatus.CANCELLED)
    elsewhere = await make_event(db, "Pelatihan Oebobo", wita(2026, 11, 29, 9), kelurahan=OEBOBO)
    await sign_up(db, elsewhere, "Gita", wita(2026, 11, 27, 8), kelurahan=OEBOBO)
    july = await make_event(db, "Pelatihan Juli", wita(2026, 7, 1, 9))
    dodi = await sign_up(db, july, "Dodi", wita(2026, 6, 20, 9))
    eko = await sign_up(db, july, "Eko", wita(2026, 6, 20, 9))
    fani = await sign_up(db, july, "Fani", wita(2026, 6, 20, 9))
    await outcome(db, july, dodi, "employed", wita(2026, 9, 15, 9))
    await outcome(db, july, dodi, "own_business", wita(2026, 11, 1, 9))
    await outcome(db, july, eko, "still_looking", wita(2026, 8, 1, 9))
    await outcome(db, july, fani, "employed", wita(2026, 11, 20, 9))


async def test_event_figures_in_the_daily_digest(db):
    await build(db)
    ctx = (await kelurahan_contexts(db, TODAY, NOW, WITA, NAIKOTEN_SATU))[NAIKOTEN_SATU]
    assert ctx["signups"] == 2
    assert [(e["title"], e["day"], e["time"], e["registered"], e["capacity"], e["waitlisted"])
            for e in ctx["upcoming"]] == [("Pelatihan Las", "2026-11-30", "09.00", 2, 2, 1),
                                          ("Bazar UMKM", "2026-12-04", "23.00", 0, 5, 0)]
    assert ctx["upcoming_more"] == 0
    assert ctx["outcomes"] == {"own_business": 1, "employed": 1, "still_looking": 0, "other": 0}
    text = render("digest/daily", "id", tz=WITA, **ctx)
    assert "Pendaftaran sejak kemarin: 2" in text
    assert "• Sen 30 Nov 09.00 · Pelatihan Las: 2/2 kursi, 1 menunggu" in text
    assert "• Jum 4 Des 23.00 · Bazar UMKM: 0/5 kursi\n" in text
    assert "Pelatihan Jahit" not in text and "Acara Batal" not in text and "Oebobo" not in text
    assert "usaha sendiri 1 · bekerja 1 · masih mencari 0 · lainnya 0" in text
    english = render("digest/daily", "en", tz=WITA, **ctx)
    assert "Sign-ups since yesterday: 2" in english and "Pelatihan Las: 2/2 seats, 1 waiting" in english

    city = await city_context(db, TODAY, WITA)
    assert city["signups"] == 3
    city_text = render("digest/city", "id", tz=WITA, **city)
    assert "Pendaftaran Karang Taruna sejak kemarin, seluruh kota: 3" in city_text
    assert "Pelatihan" not in city_text and "Ana" not in city_text  # counts only


async def test_quiet_kelurahan_has_an_empty_event_section(db):
    ctx = (await kelurahan_contexts(db, TODAY, NOW, WITA, NAIKOTEN_SATU))[NAIKOTEN_SATU]
    text = render("digest/daily", "id", tz=WITA, **ctx)
    assert "Pendaftaran sejak kemarin: 0" in text and "Tidak ada acara." in text
    assert "No events." in render("digest/daily", "en", tz=WITA, **ctx)


async def test_ringkasan_shows_the_event_section(running, tester, make_person):
    await build(running.app.db)
    _, lurah = await make_person(Role.LURAH)
    _, city = await make_person(Role.CITY, kelurahan=None)
    await tester.command(lurah, "ringkasan")
    assert "Pelatihan Las: 2/2 kursi, 1 menunggu" in tester.last(lurah).text
    await tester.command(city, "ringkasan")
    assert "seluruh kota: 3" in tester.last(city).text and "Pelatihan Las" not in tester.last(city).text


async def test_200_overdue_borrowers_and_10_upcoming_events_fit_in_one_message(db):
    long = "Maria Goreti Theresia Bria Seran Nenobais"
    borrowers = [await add_person(db, f"{long} {n:03d}", linked=False) for n in range(200)]
    for person in borrowers:
        await make_loan(db, person, principal=25_000_000, disbursed_on=date(2025, 1, 31), tenor=36)
    title = "Pelatihan Servis AC dan Kelistrikan Rumah Tangga untuk Pemuda Kelurahan Naikoten Satu Angkatan II"
    for n in range(12):
        event = await make_event(db, f"{title} {n}", wita(2026, 11, 29 + n % 2, 9), capacity=1000)
        await sign_up(db, event, f"{long} P{n}", wita(2026, 11, 27, 9))
    ctx = (await kelurahan_contexts(db, TODAY, NOW, WITA, NAIKOTEN_SATU))[NAIKOTEN_SATU]
    assert len(ctx["upcoming"]) == 10 and ctx["upcoming_more"] == 2
    for lang, more in (("id", "… dan 2 acara lainnya"), ("en", "… and 2 more events")):
        text = render("digest/daily", lang, tz=WITA, **ctx)
        assert len(text) <= MAX_MESSAGE_LENGTH
        assert more in text and text.count("1/1000") == 10
