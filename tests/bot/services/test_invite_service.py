"""bot.services.invites directly against a migrated database: outcomes, rows and the audit row."""

from __future__ import annotations

from bot.domain.roles import Role
from bot.services.invites import InviteOutcome, create_invite, invite_existing
from storage import audit, people
from tests.conftest import NAIKOTEN_SATU, NOW

PHONE = "+6281234567890"
KEL = NAIKOTEN_SATU


async def _count(db, table: str) -> int:
    return await db.fetchval(f"SELECT count(*) FROM {table}")


async def test_new_person_invite_and_audit_commit_together(db, frozen_clock):
    result = await create_invite(db, now=NOW, role=Role.TREASURER, name="  Yohanes   Ndun ", kelurahan_code=KEL,
                                 phone=PHONE, created_by=None, language="en", via="cli")
    assert result.outcome is InviteOutcome.CREATED and result.ok and result.token
    assert (result.person.name, result.person.phone, result.person.language) == ("Yohanes Ndun", PHONE, "en")
    assert result.person.roles == frozenset()  # granted when the link is opened
    [entry] = await audit.recent(db, action="invite.created")
    assert (entry.entity_id, entry.kelurahan_code) == (result.invite.id, NAIKOTEN_SATU)
    assert entry.details == {"person_id": result.person.id, "role": "treasurer", "new_person": True, "via": "cli"}
    assert result.token not in str(entry.details)


async def test_refusals_store_nothing(db, frozen_clock):
    async with db.transaction() as tx:
        await people.create(tx, name="Yohana Lake", kelurahan_code="53.71.01.1001", phone=PHONE)
    refused = [
        await create_invite(db, now=NOW, role=Role.ADMIN, name="Admin 2", kelurahan_code=KEL),
        await create_invite(db, now=NOW, role=Role.ADMIN, name="Admin Dua", kelurahan_code=None),
        await create_invite(db, now=NOW, role=Role.BORROWER, name="Yohana Lake", kelurahan_code=KEL, phone=PHONE),
        # a city account (no kelurahan) may not take the phone of a kelurahan person either
        await create_invite(db, now=NOW, role=Role.CITY, name="Staf Bappeda", kelurahan_code=None, phone=PHONE),
    ]
    assert [r.outcome for r in refused] == [InviteOutcome.BAD_NAME, InviteOutcome.NEEDS_KELURAHAN,
                                           InviteOutcome.PHONE_ELSEWHERE, InviteOutcome.PHONE_ELSEWHERE]
    assert not any(r.ok for r in refused)
    assert refused[2].person is not None and refused[2].person.kelurahan_code == "53.71.01.1001"
    assert (await _count(db, "people"), await _count(db, "invites"), await _count(db, "audit_log")) == (1, 0, 0)


async def test_same_kelurahan_phone_reuses_the_oldest_person(db, frozen_clock):
    first = await create_invite(db, now=NOW, role=Role.BORROWER, name="Maria Bria", kelurahan_code=KEL, phone=PHONE)
    again = await create_invite(db, now=NOW, role=Role.COORDINATOR, name="Maria B.", kelurahan_code=KEL,
                                phone=PHONE, created_by=first.person.id)
    assert again.outcome is InviteOutcome.REUSED
    assert again.person.id == first.person.id and again.person.name == "Maria Bria"
    assert again.invite.role is Role.COORDINATOR and again.invite.created_by == first.person.id
    assert await _count(db, "people") == 1
    latest = (await audit.recent(db, action="invite.created"))[0]
    assert (latest.actor_person_id, latest.details["new_person"]) == (first.person.id, False)


async def test_without_a_phone_every_invite_is_a_new_person(db, frozen_clock):
    for _ in range(2):
        result = await create_invite(db, now=NOW, role=Role.BORROWER, name="Maria Bria", kelurahan_code=KEL)
        assert result.outcome is InviteOutcome.CREATED
    assert await _count(db, "people") == 2


async def test_invite_existing(db, frozen_clock):
    async with db.transaction() as tx:
        city = await people.create(tx, name="Staf Bappeda", kelurahan_code=None)
        kel = await people.create(tx, name="Maria Bria", kelurahan_code=KEL)
    assert (await invite_existing(db, now=NOW, person_id=999, role=Role.ADMIN)).outcome is InviteOutcome.NO_PERSON
    needs = await invite_existing(db, now=NOW, person_id=city.id, role=Role.TREASURER)
    assert needs.outcome is InviteOutcome.NEEDS_KELURAHAN and needs.person.id == city.id
    ok = await invite_existing(db, now=NOW, person_id=kel.id, role=Role.TREASURER, via="cli")
    assert ok.outcome is InviteOutcome.EXISTING and ok.invite.person_id == kel.id and ok.token
    [entry] = await audit.recent(db, action="invite.created")
    assert entry.details == {"person_id": kel.id, "role": "treasurer", "new_person": False, "via": "cli"}


async def test_redeem_invite_links_grants_and_audits_each_try(db, frozen_clock):
    from bot.services.invites import redeem_invite
    from storage.invites import RedeemStatus

    made = await create_invite(db, now=NOW, role=Role.TREASURER, name="Yohanes Ndun", kelurahan_code=KEL)
    ok = await redeem_invite(db, made.token, now=NOW, telegram_user_id=4242, chat_id=4242)
    assert ok.status is RedeemStatus.OK and ok.person.roles == {Role.TREASURER} and ok.person.linked
    again = await redeem_invite(db, made.token, now=NOW, telegram_user_id=4242, chat_id=4242)
    junk = await redeem_invite(db, "not a token!", now=NOW, telegram_user_id=7, chat_id=7)
    assert (again.status, junk.status) == (RedeemStatus.USED, RedeemStatus.UNKNOWN)
    [redeemed] = await audit.recent(db, action="invite.redeemed")
    assert (redeemed.actor_person_id, redeemed.actor_telegram_id) == (made.person.id, 4242)
    refused = await audit.recent(db, action="invite.refused")
    assert [e.details["status"] for e in refused] == ["unknown", "used"]
    assert all(made.token not in str(e.details) for e in [redeemed, *refused])
