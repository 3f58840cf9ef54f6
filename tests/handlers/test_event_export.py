"""The participant export read back the way a spreadsheet reads it (issue 14, item 4): NIKs and +62 phones stay
text, and the lurah's masked export carries no full birth date and no RT/RW."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from bot.domain.roles import Role
from storage import audit, participants, registrations
from tests.conftest import NAIKOTEN_SATU
from tests.handlers.test_events import capture_uploads
from tests.handlers.test_registration import make_event

NIK = "5371054512000003"  # the field test's NIK: 16 digits, more than a spreadsheet number keeps
PHONE = "+6281234567890"


async def _participant(running, event, by):
    async with running.app.db.transaction() as tx:
        p = await participants.create_participant(
            tx, kelurahan_code=NAIKOTEN_SATU, name="Maria Seran", nik=NIK, birth_date=date(2000, 12, 5), sex="F",
            phone=PHONE, address="003/012", education="sma", work_status="not_working",
            consent_at=datetime.now(UTC), created_by=by)
        await registrations.register(tx, event_id=event.id, participant_id=p.id, registered_by=by,
                                     now=datetime.now(UTC))


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def _all_text(content: bytes) -> str:
    """Everything stored in the file (every XML part), as a spreadsheet program would find it."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


async def test_identifiers_stay_text_for_a_coordinator(running, tester, make_person):
    coord, user = await make_person(Role.COORDINATOR)
    event = await make_event(running)
    await _participant(running, event, coord.id)
    uploads = capture_uploads(running.request)
    await tester.press(user, f"ev:xlsx:{event.id}")
    filename, content = uploads[-1]["document"]
    assert filename.endswith(".xlsx")
    sheet = _sheet(content)
    header = [c.value for c in sheet[1]]
    nik, phone, rt = (sheet.cell(row=2, column=header.index(h) + 1) for h in ("NIK", "HP", "RT/RW"))
    assert (nik.value, nik.data_type, nik.number_format) == (NIK, "s", "@")
    assert (phone.value, phone.data_type, phone.number_format) == (PHONE, "s", "@")
    assert (rt.value, rt.data_type) == ("003/012", "s")
    birth = sheet.cell(row=2, column=header.index("Tanggal lahir") + 1)
    assert birth.is_date and birth.value.date() == date(2000, 12, 5)
    # the old CSV button of an earlier message gets the same XLSX file
    await tester.press(user, f"ev:csv:{event.id}")
    assert uploads[-1]["document"][0].endswith(".xlsx")
    entry = (await audit.recent(running.app.db, action="event.exported"))[0]
    assert entry.details == {"format": "xlsx", "rows": 1, "masked": False, "participants": [1]}


async def test_the_lurah_gets_no_full_birth_date_and_no_rt_rw(running, tester, make_person):
    coord, _ = await make_person(Role.COORDINATOR)
    _, lurah = await make_person(Role.LURAH, name="Pak Lurah", language="en")
    event = await make_event(running)
    await _participant(running, event, coord.id)
    uploads = capture_uploads(running.request)
    await tester.press(lurah, f"ev:xlsx:{event.id}")
    _, content = uploads[-1]["document"]
    sheet = _sheet(content)
    header = [c.value for c in sheet[1]]
    assert "RT/RW" not in header and "Birth date" not in header and "Birth year" in header
    row = [c.value for c in sheet[2]]
    assert 2000 in row and row[header.index("NIK")] == "5371••••••••0003"
    stored = _all_text(content)
    assert NIK not in stored and "003/012" not in stored and PHONE not in stored and "2000-12-05" not in stored
    assert "masked" in tester.last(lurah).text
