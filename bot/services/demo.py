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
from bot.services import receipts as receipt_service
from storage import audit, loans, people, repayments
from storage.db import Database


@dataclass(frozen=True)
class DemoInvite:
    name: str
    role: str
    link: str


async def create_demo_data(db: Database, data: DemoData, *, seed: int, now: datetime, timezone: ZoneInfo,
                           language: str, bot_username: str,
                           receipt_key: bytes | None = None) -> list[DemoInvite] | None:
    """Write ``data``; None (and nothing written) when the database already holds people or loans. Returns the
    staff's invite links. A verified demo payment is decided at 17:00 WITA on its day (never after ``now``), and
    gets its receipt (issue 15), numbered in the order the payments were verified."""
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
        verified: list[tuple[datetime, int]] = []
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
                    decided = min(datetime.combine(payment.paid_on, time(17), timezone), now)
                    await repayments.decide(tx, rep.id, approve=True, by=treasurer.id, now=decided)
                    verified.append((decided, rep.id))
        for decided, repayment_id in sorted(verified):
            await receipt_service.issue_in(tx, db, repayment_id=repayment_id, by=treasurer.id, now=decided,
                                           receipt_key=receipt_key, kelurahan_code=data.kelurahan_code)
        await audit.record(tx, "demo.created", kelurahan_code=data.kelurahan_code,
                           details={"seed": seed, "loans": len(data.loans), "principal": data.total_principal})
    return links
