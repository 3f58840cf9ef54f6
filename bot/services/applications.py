"""Use cases of loan applications (issue 16, part 5): apply, verify, approve or reject, disburse.

Each owns its transaction and audit row (``application.submitted``, ``.verified``, ``.approved``,
``.rejected``, ``.disbursed``, ``.disbursement_blocked``). The rules (who may act, the lending limit) are
:mod:`bot.domain.applications`. Disbursing creates the loan exactly as ``/pinjaman_baru`` does
(:func:`bot.services.loans.create_loan_in`: the schedule, the borrower role, the borrower's disbursement
question or an invite) in the transaction that marks the application disbursed; the cash book needs no entry of
its own, it derives the disbursement from the loan (docs/cash-book.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.domain.applications import (
    REASON_MAX,
    REASON_MIN,
    Action,
    ApplicationError,
    LendingCheck,
    Status,
    check_amount,
    check_share,
    clean_text,
    lending_check,
    may_act,
    next_status,
    repaid_share_rule,
)
from bot.domain.loans import LoanTerms
from bot.domain.roles import Role
from bot.services import cash_book as cash_book_service
from bot.services.loans import NewLoan, create_loan_in
from storage import applications, audit, drafts, kelurahan, people
from storage.applications import Application
from storage.db import Database, Queryable
from storage.people import Person


@dataclass(frozen=True)
class Step:
    """An application after a step, and its applicant (to tell them, when linked)."""

    application: Application
    applicant: Person


@dataclass(frozen=True)
class Disbursed:
    application: Application
    applicant: Person
    made: NewLoan
    check: LendingCheck


async def submit(
    db: Database, *, kelurahan_code: str, entered_by: int, for_self: bool, name: str, nik: str, phone: str,
    business: str, business_type: str, amount: int, purpose: str, photo_file_id: str | None, language: str,
    now: datetime, draft_of: int | None = None,
) -> Step:
    """Store an application. ``for_self``: the person entering it is the applicant; else (a treasurer or admin for
    a resident without Telegram) the applicant is the kelurahan's person with that phone, or a new person with
    no role yet. A NIK with an application still in the pipeline is refused (``nik_open``)."""
    check_amount(amount)
    async with db.transaction() as tx:
        if await applications.open_for_nik(tx, nik) is not None:
            raise ApplicationError("nik_open")
        if for_self:
            applicant = await people.get(tx, entered_by)
            assert applicant is not None
        else:
            applicant = await people.by_phone(tx, phone, kelurahan_code)
            if applicant is None:
                applicant = await people.create(tx, name=name, kelurahan_code=kelurahan_code, phone=phone,
                                                language=language)
        made = await applications.create(
            tx, kelurahan_code=kelurahan_code, applicant_id=applicant.id, entered_by=entered_by, name=name,
            nik=nik, phone=phone, business=business, business_type=business_type, amount=amount, purpose=purpose,
            photo_file_id=photo_file_id, now=now)
        await audit.record(tx, "application.submitted", actor_person_id=entered_by, entity="application",
                           entity_id=made.id, kelurahan_code=kelurahan_code,
                           details={"applicant_id": applicant.id, "amount": amount, "for_self": for_self,
                                    "photo": photo_file_id is not None})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return Step(made, applicant)


def makers_for(application: Application, action: Action) -> frozenset[int]:
    """Who may not take ``action``: the applicant and whoever entered it; for the decision also whoever verified
    it (the decision checks the verification, so one person never does both)."""
    if action in (Action.APPROVE, Action.REJECT) and application.verified_by is not None:
        return application.makers | {application.verified_by}
    return application.makers


async def lurah_available(q: Queryable, application: Application, action: Action = Action.APPROVE) -> bool:
    """Whether the kelurahan has an active lurah on Telegram who is not a maker of the application (for
    ``action``)."""
    makers = makers_for(application, action)
    return any(p.linked and p.id not in makers
               for p in await people.with_role(q, Role.LURAH, application.kelurahan_code))


async def allowed(q: Queryable, application: Application, person: Person, action: Action) -> bool:
    if person.kelurahan_code != application.kelurahan_code or not person.active:
        return False
    return may_act(action, person.roles, person.id, makers_for(application, action),
                   lurah_available=await lurah_available(q, application, action))


async def _load(tx: Queryable, application_id: int, person: Person, action: Action) -> Application:
    application = await applications.get(tx, application_id)
    if application is None or application.kelurahan_code != person.kelurahan_code:
        raise ApplicationError("not_found")
    next_status(application.status, action)
    if not await allowed(tx, application, person, action):
        if person.id in application.makers:
            raise ApplicationError("own")
        raise ApplicationError("verified_it" if person.id in makers_for(application, action) else "not_allowed")
    return application


async def _after(tx: Queryable, application_id: int) -> Step:
    application = await applications.get(tx, application_id)
    assert application is not None
    applicant = await people.get(tx, application.applicant_id)
    assert applicant is not None
    return Step(application, applicant)


async def verify(db: Database, application_id: int, *, by: Person, now: datetime) -> Step:
    """submitted → verified, by a treasurer or admin who is not a maker."""
    async with db.transaction() as tx:
        application = await _load(tx, application_id, by, Action.VERIFY)
        if not await applications.move(tx, application.id, from_status=Status.SUBMITTED, to_status=Status.VERIFIED,
                                       by=by.id, now=now):
            raise ApplicationError("wrong_status", status=application.status)
        await audit.record(tx, "application.verified", actor_person_id=by.id, entity="application",
                           entity_id=application.id, kelurahan_code=application.kelurahan_code,
                           details={"amount": application.amount})
        return await _after(tx, application.id)


async def decide(db: Database, application_id: int, *, by: Person, approve: bool, reason: str | None,
                 now: datetime, draft_of: int | None = None) -> Step:
    """verified → approved, or → rejected with ``reason`` (required, 3–200 characters), by the lurah (or an admin
    when the lurah is a maker or absent); nobody decides their own application, nor one they verified."""
    action = Action.APPROVE if approve else Action.REJECT
    if not approve:
        reason = clean_text(reason or "", REASON_MIN, REASON_MAX, "reason")
    async with db.transaction() as tx:
        application = await _load(tx, application_id, by, action)
        to = next_status(application.status, action)
        if not await applications.move(tx, application.id, from_status=Status.VERIFIED, to_status=to, by=by.id,
                                       now=now, note=None if approve else reason):
            raise ApplicationError("wrong_status", status=application.status)
        await audit.record(tx, f"application.{to}", actor_person_id=by.id, entity="application",
                           entity_id=application.id, kelurahan_code=application.kelurahan_code,
                           details={"amount": application.amount, "reason": reason,
                                    "as_fallback": Role.LURAH not in by.roles})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
        return await _after(tx, application.id)


async def share_rule(q: Queryable, kelurahan_code: str, city_default: int) -> tuple[int, str]:
    """The minimum repaid share for the kelurahan and whose it is ("kelurahan" or "city")."""
    return repaid_share_rule(await kelurahan.min_repaid_percent(q, kelurahan_code), city_default)


@dataclass(frozen=True)
class ShareRule:
    """A kelurahan's re-lending rule as it stands: the minimum, whose it is, and the figures it is checked on."""

    kelurahan_code: str
    kelurahan_name: str
    percent: int
    source: str
    city_default: int
    repaid: int
    owed: int

    @property
    def check(self) -> LendingCheck:
        """The figures as a :class:`LendingCheck` (for the share in %), as if nothing were disbursed."""
        return lending_check(0, 0, self.repaid, self.owed, self.percent, self.source)


async def share_rule_of(q: Queryable, kelurahan_code: str, city_default: int) -> ShareRule | None:
    """``/syarat_kembali`` and ``pem-bot repaid-share``: the rule and the kelurahan's repaid figures."""
    kel = await kelurahan.get(q, kelurahan_code)
    if kel is None:
        return None
    percent, source = await share_rule(q, kelurahan_code, city_default)
    repaid, owed = await applications.repaid_figures(q, kelurahan_code)
    return ShareRule(kel.code, kel.name, percent, source, city_default, repaid, owed)


async def set_share_rule(db: Database, kelurahan_code: str, percent: int | None, *, by: int | None,
                         city_default: int, now: datetime, via: str, draft_of: int | None = None) -> ShareRule:
    """Set the kelurahan's own minimum repaid share (0–100; 0 = off for this kelurahan), or with None follow the
    city's default again; audited ``kelurahan.repaid_share_set`` with the rule before and after. The caller
    checked who may (the kelurahan's lurah or admin in the bot; the operator on the command line)."""
    if percent is not None:
        check_share(percent)
    async with db.transaction() as tx:
        before = await share_rule_of(tx, kelurahan_code, city_default)
        if before is None:
            raise ApplicationError("no_kelurahan", value=kelurahan_code)
        await kelurahan.set_min_repaid_percent(tx, kelurahan_code, percent)
        after = await share_rule_of(tx, kelurahan_code, city_default)
        assert after is not None
        await audit.record(tx, "kelurahan.repaid_share_set", actor_person_id=by, entity="kelurahan",
                           kelurahan_code=kelurahan_code,
                           details={"before": before.percent, "before_source": before.source,
                                    "after": after.percent, "after_source": after.source,
                                    "city_default": city_default, "via": via})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
    return after


async def lending_position(q: Queryable, kelurahan_code: str, amount: int, *, today: date, tz: tzinfo,
                           city_min_percent: int) -> LendingCheck:
    """The lending limit for ``amount`` today: the cash book's balance (cash + bank at the end of today,
    :func:`bot.services.cash_book.position`) and the repaid share of the kelurahan's loans, against the
    kelurahan's own minimum or else the city's ``city_min_percent``."""
    position = await cash_book_service.position(q, kelurahan_code, today, tz)
    repaid, owed = await applications.repaid_figures(q, kelurahan_code)
    percent, source = await share_rule(q, kelurahan_code, city_min_percent)
    return lending_check(amount, position.balance.total, repaid, owed, percent, source)


async def first_waiting(q: Queryable, kelurahan_code: str) -> Application | None:
    """The head of the waiting list: the oldest approved application."""
    head = await applications.by_status(q, kelurahan_code, Status.APPROVED, offset=0, limit=1)
    return head[0] if head else None


async def disburse(
    db: Database, application_id: int, *, by: Person, terms: LoanTerms, language: str, today: date, tz: tzinfo,
    city_min_percent: int, now: datetime, draft_of: int | None = None,
) -> Disbursed | LendingCheck:
    """approved → disbursed: the loan is created (as ``/pinjaman_baru``) for the applicant with the
    application's amount and business, in one transaction with the move. Only the head of the waiting list is
    disbursed (``not_first``). When the lending limit blocks it, nothing changes except an audit row, and the
    :class:`LendingCheck` (with the figures) is returned."""
    async with db.transaction() as tx:
        application = await _load(tx, application_id, by, Action.DISBURSE)
        head = await first_waiting(tx, application.kelurahan_code)
        if head is not None and head.id != application.id:
            raise ApplicationError("not_first", first=head.id, name=head.name)
        if terms.principal != application.amount:
            raise ApplicationError("amount_mismatch")
        check = await lending_position(tx, application.kelurahan_code, application.amount, today=today, tz=tz,
                                       city_min_percent=city_min_percent)
        if check.blocked is not None:
            await audit.record(tx, "application.disbursement_blocked", actor_person_id=by.id,
                               entity="application", entity_id=application.id,
                               kelurahan_code=application.kelurahan_code,
                               details={"blocked": check.blocked, "amount": check.amount, "balance": check.balance,
                                        "repaid": check.repaid, "owed": check.owed,
                                        "min_percent": check.min_percent, "rule_source": check.rule_source})
            if draft_of is not None:
                await drafts.delete(tx, draft_of)
            return check
        applicant = await people.get(tx, application.applicant_id)
        assert applicant is not None
        made = await create_loan_in(
            tx, kelurahan_code=application.kelurahan_code, terms=terms, business=application.business,
            created_by=by.id, borrower_id=applicant.id, name=application.name, phone=application.phone,
            language=language, now=now, via="application")
        moved = await applications.move(tx, application.id, from_status=Status.APPROVED,
                                        to_status=Status.DISBURSED, by=by.id, now=now, loan_id=made.loan.id)
        if not moved:
            raise ApplicationError("wrong_status", status=application.status)
        await audit.record(tx, "application.disbursed", actor_person_id=by.id, entity="application",
                           entity_id=application.id, kelurahan_code=application.kelurahan_code,
                           details={"loan_id": made.loan.id, "amount": application.amount,
                                    "balance_before": check.balance})
        if draft_of is not None:
            await drafts.delete(tx, draft_of)
        after = await _after(tx, application.id)
    return Disbursed(after.application, made.borrower, made, check)
