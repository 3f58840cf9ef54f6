"""Write the demo kelurahan (:func:`bot.domain.demo.generate`) into an empty database, in one transaction, with
its audit row and the receipts of its verified payments.

Used by ``pem-bot demo-data`` (staff invites, printed as links) and ``pem-bot try`` (which also invites two
borrowers and a city user, and redeems every invite through the real bot: the simulator's personas).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.domain.demo import DemoData
from bot.domain.roles import Role
from bot.services import receipts as receipt_service
from bot.services.invites import issue_invite
from storage import audit, loans, people, repayments
from storage.db import Database

#: The city (Bappeda) user ``pem-bot try`` adds: the demo kelurahan has no city staff of its own.
CITY_USER = "Agustina Kolo"


@dataclass(frozen=True)
class Invited:
    person: people.Person
    role: Role
    token: str


@dataclass(frozen=True)
class DemoWritten:
    data: DemoData
    staff: tuple[Invited, ...]  # treasurer, lurah, admin, coordinator (in the generator's order)
    borrowers: tuple[Invited, ...]  # those asked for by first name, in that order
    city: Invited | None


def _pick(names: list[str], first_names: tuple[str, ...]) -> list[int]:
    """The index of the first borrower with each first name (a later one when taken); missing names skipped."""
    chosen: list[int] = []
    for first in first_names:
        index = next((i for i, name in enumerate(names) if name.split()[0] == first and i not in chosen), None)
        if index is not None:
            chosen.append(index)
    return chosen


async def write_demo(db: Database, data: DemoData, *, language: str, timezone: ZoneInfo, now: datetime,
                     invite_borrowers: tuple[str, ...] = (), city_user: str | None = None,
                     receipt_key: bytes | None = None) -> DemoWritten | None:
    """Write ``data``; None (nothing written) when the database already holds people or loans. A verified demo
    payment is decided at 17:00 WITA on its day (never after ``now``) and gets its receipt (issue 15), numbered in
    the order the payments were verified.

    ``invite_borrowers``: first names of borrowers who also get an invite; ``city_user``: the name of a city
    account to create and invite."""
    async with db.transaction() as tx:
        if not await loans.database_is_empty(tx):
            return None
        staff: dict[str, people.Person] = {}
        invited: list[Invited] = []
        for member in data.staff:
            role = Role(member.role)
            person = await people.create(tx, name=member.name, kelurahan_code=data.kelurahan_code,
                                         roles=[role], phone=member.phone, language=language)
            staff[member.role] = person
            _, token = await issue_invite(tx, person, role, now=now, created_by=None, new_person=True,
                                          via="demo-data")
            invited.append(Invited(person, role, token))
        treasurer = staff["treasurer"]
        borrowers = [
            await people.create(tx, name=b.name, kelurahan_code=data.kelurahan_code, roles=[Role.BORROWER],
                                phone=b.phone, language=language)
            for b in data.borrowers
        ]
        verified: list[tuple[datetime, int]] = []
        for n, demo_loan in enumerate(data.loans):
            borrower = borrowers[demo_loan.borrower]
            loan = await loans.create(tx, borrower_id=borrower.id, kelurahan_code=data.kelurahan_code,
                                      terms=demo_loan.terms, business=demo_loan.business, created_by=treasurer.id,
                                      now=now)
            for k, payment in enumerate(demo_loan.payments):
                rep, _ = await repayments.report(
                    tx, loan_id=loan.id, amount=payment.amount, paid_on=payment.paid_on, method=payment.method,
                    reported_by=borrower.id, idempotency_key=f"demo:{data.seed}:{n}:{k}", now=now)
                if payment.status == "verified":
                    decided = min(datetime.combine(payment.paid_on, time(17), timezone), now)
                    await repayments.decide(tx, rep.id, approve=True, by=treasurer.id, now=decided)
                    verified.append((decided, rep.id))
        for decided, repayment_id in sorted(verified):
            await receipt_service.issue_in(tx, db, repayment_id=repayment_id, by=treasurer.id, now=decided,
                                           receipt_key=receipt_key, kelurahan_code=data.kelurahan_code)
        borrower_invites: list[Invited] = []
        for index in _pick([b.name for b in data.borrowers], invite_borrowers):
            _, token = await issue_invite(tx, borrowers[index], Role.BORROWER, now=now, created_by=None,
                                          new_person=False, via="demo-data")
            borrower_invites.append(Invited(borrowers[index], Role.BORROWER, token))
        city = None
        if city_user:
            person = await people.create(tx, name=city_user, kelurahan_code=None, roles=[Role.CITY],
                                         language=language)
            _, token = await issue_invite(tx, person, Role.CITY, now=now, created_by=None, new_person=True,
                                          via="demo-data")
            city = Invited(person, Role.CITY, token)
        await audit.record(tx, "demo.created", kelurahan_code=data.kelurahan_code,
                           details={"seed": data.seed, "loans": len(data.loans), "principal": data.total_principal})
    return DemoWritten(data, tuple(invited), tuple(borrower_invites), city)
