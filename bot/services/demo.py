"""The use case behind ``pem-bot demo-data`` (and ``pem-bot try``): write a generated demo kelurahan
(:func:`bot.domain.demo.generate`) into an empty database, in one transaction, with its audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.domain.demo import DemoData
from bot.domain.invite_tokens import deep_link
from bot.domain.roles import Role
from bot.services import invites as invite_service
from storage import audit, loans, people, repayments
from storage.db import Database


@dataclass(frozen=True)
class DemoInvite:
    name: str
    role: str
    link: str


async def create_demo_data(db: Database, data: DemoData, *, seed: int, now: datetime, timezone: ZoneInfo,
                           language: str, bot_username: str) -> list[DemoInvite] | None:
    """Write ``data``; None (and nothing written) when the database already holds people or loans. Returns the
    staff's invite links. A verified demo payment is decided at 17:00 WITA on its day (never after ``now``)."""
    async with db.transaction() as tx:
        if not await loans.database_is_empty(tx):
            return None
        staff: dict[str, people.Person] = {}
        links: list[DemoInvite] = []
        for member in data.staff:
            role = Role(member.role)
            person = await people.create(tx, name=member.name, kelurahan_code=data.kelurahan_code,
                                         roles=[role], phone=member.phone, language=language)
            staff[member.role] = person
            _, token = await invite_service.issue_invite(tx, person, role, now=now, created_by=None,
                                                         new_person=True, via="demo-data")
            links.append(DemoInvite(person.name, str(role), deep_link(bot_username, token)))
        treasurer = staff["treasurer"]
        borrowers = [
            await people.create(tx, name=b.name, kelurahan_code=data.kelurahan_code, roles=[Role.BORROWER],
                                phone=b.phone, language=language)
            for b in data.borrowers
        ]
        for n, demo_loan in enumerate(data.loans):
            borrower = borrowers[demo_loan.borrower]
            loan = await loans.create(tx, borrower_id=borrower.id, kelurahan_code=data.kelurahan_code,
                                      terms=demo_loan.terms, business=demo_loan.business,
                                      created_by=treasurer.id, now=now)
            for k, payment in enumerate(demo_loan.payments):
                rep, _ = await repayments.report(
                    tx, loan_id=loan.id, amount=payment.amount, paid_on=payment.paid_on,
                    method=payment.method, reported_by=borrower.id,
                    idempotency_key=f"demo:{seed}:{n}:{k}", now=now)
                if payment.status == "verified":
                    decided = datetime.combine(payment.paid_on, time(17), timezone)
                    await repayments.decide(tx, rep.id, approve=True, by=treasurer.id, now=min(decided, now))
        await audit.record(tx, "demo.created", kelurahan_code=data.kelurahan_code,
                           details={"seed": seed, "loans": len(data.loans), "principal": data.total_principal})
    return links
