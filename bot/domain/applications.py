"""Loan applications (issue 16, part 5): the pipeline and the lending limit. Pure rules, no I/O.

The pipeline::

    submitted ─(a treasurer or admin checks it)─► verified ─(the lurah)─► approved ─(a treasurer)─► disbursed
                                                             └──────────► rejected (with a reason)

Who acts (:func:`may_act`):

* **verify**: a treasurer or an admin of the kelurahan, never the applicant (nor the person who entered it for
  themself);
* **approve / reject**: the lurah; when the lurah is the applicant, the one who entered it or the one who verified
  it, or the kelurahan has no active lurah on Telegram, an admin who is none of these (maker-checker,
  :func:`bot.domain.roles.checkers`'s rule: nobody decides their own application, nor one they verified; the
  service passes the verifier among the ``makers``, :func:`bot.services.applications.makers_for`);
* **disburse**: a treasurer or admin who is not the applicant.

The lending limit (:func:`lending_check`): an approved application is disbursed only while the cash book's balance
(cash on hand + bank, today) covers its amount, and, when a minimum repaid share applies, only while the
verified repayments of its earlier loans are at least that share of what those loans owe in all (principal + fees
scheduled). With no earlier loans the share does not block. The minimum is the kelurahan's own, set by its lurah
or an admin (``/syarat_kembali``, ``pem-bot repaid-share``), else the city's ``PEM_RELENDING_MIN_REPAID_PERCENT``
(:func:`repaid_share_rule`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from bot.domain.roles import Role

MIN_AMOUNT = 1_000_000
MAX_AMOUNT = 25_000_000
BUSINESS_MAX = 80
PURPOSE_MIN, PURPOSE_MAX = 5, 300
REASON_MIN, REASON_MAX = 3, 200
BUSINESS_TYPES = ("kios", "kuliner", "pertanian", "peternakan", "perikanan", "kerajinan", "jasa", "lainnya")


class Status(StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    APPROVED = "approved"
    REJECTED = "rejected"
    DISBURSED = "disbursed"


class Action(StrEnum):
    VERIFY = "verify"
    APPROVE = "approve"
    REJECT = "reject"
    DISBURSE = "disburse"


#: the status an action needs, and the status it leads to
TRANSITIONS: dict[Action, tuple[Status, Status]] = {
    Action.VERIFY: (Status.SUBMITTED, Status.VERIFIED),
    Action.APPROVE: (Status.VERIFIED, Status.APPROVED),
    Action.REJECT: (Status.VERIFIED, Status.REJECTED),
    Action.DISBURSE: (Status.APPROVED, Status.DISBURSED),
}

#: the statuses /pengajuan lists, in its order
LISTED = (Status.SUBMITTED, Status.VERIFIED, Status.APPROVED, Status.DISBURSED, Status.REJECTED)


class ApplicationError(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def next_status(current: str, action: Action) -> Status:
    """The status after ``action``; ApplicationError ``wrong_status`` when the application is not where the
    action starts."""
    needed, after = TRANSITIONS[action]
    if current != needed:
        raise ApplicationError("wrong_status", status=current)
    return after


def check_amount(amount: int) -> int:
    if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise ApplicationError("amount_range", value=amount)
    return amount


def clean_text(text: str, low: int, high: int, code: str) -> str:
    value = " ".join(text.split())
    if len(value) < low:
        raise ApplicationError(f"{code}_short")
    if len(value) > high:
        raise ApplicationError(f"{code}_long")
    return value


def may_act(action: Action, roles: frozenset[Role], person_id: int, makers: Iterable[int], *,
            lurah_available: bool) -> bool:
    """Whether a person with ``roles`` may take ``action`` on an application whose ``makers`` are the applicant
    and the person who entered it. ``lurah_available``: the kelurahan has an active lurah on Telegram who is
    not a maker (else an admin decides)."""
    if person_id in set(makers):
        return False
    if action in (Action.VERIFY, Action.DISBURSE):
        return bool(roles & {Role.TREASURER, Role.ADMIN})
    if Role.LURAH in roles:
        return True
    return Role.ADMIN in roles and not lurah_available


@dataclass(frozen=True)
class LendingCheck:
    """Why an amount can (not) be disbursed now, with the figures."""

    amount: int
    balance: int
    #: verified repayments and what the earlier loans owe in all (principal + fees)
    repaid: int
    owed: int
    min_percent: int
    #: None when nothing blocks; else "balance" or "repaid_share"
    blocked: str | None
    #: whose minimum it is: "kelurahan" (its own setting) or "city" (PEM_RELENDING_MIN_REPAID_PERCENT)
    rule_source: str = "city"

    @property
    def repaid_percent(self) -> Decimal | None:
        """The repaid share in %, one decimal, rounded down (so 59.99 % never shows as 60 %)."""
        if self.owed <= 0:
            return None
        return (Decimal(self.repaid) * 100 / Decimal(self.owed)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)

    @property
    def share_short(self) -> bool:
        """Whether the repaid share is below the minimum (it blocks, or would once the balance covers the amount:
        the bot then says both)."""
        return self.min_percent > 0 and self.owed > 0 and self.repaid * 100 < self.owed * self.min_percent

    @property
    def shortfall(self) -> int:
        return max(0, self.amount - self.balance)


SHARE_MIN, SHARE_MAX = 0, 100


def repaid_share_rule(own: int | None, city_default: int) -> tuple[int, str]:
    """The minimum repaid share that applies to a kelurahan and whose it is: its ``own`` setting when it has one,
    else the city's default."""
    return (city_default, "city") if own is None else (own, "kelurahan")


def check_share(value: int) -> int:
    if not SHARE_MIN <= value <= SHARE_MAX:
        raise ApplicationError("share_range", value=value, min=SHARE_MIN, max=SHARE_MAX)
    return value


def lending_check(amount: int, balance: int, repaid: int, owed: int, min_percent: int, rule_source: str = "city"
                  ) -> LendingCheck:
    """The lending limit: the balance must cover ``amount``; with ``min_percent`` > 0 and earlier loans
    (``owed`` > 0), ``repaid`` ÷ ``owed`` must be at least ``min_percent`` % (compared exactly, in integers).
    ``blocked`` names the balance first (the harder limit); :attr:`LendingCheck.share_short` tells whether the
    share falls short as well, so the bot can say both."""
    check = LendingCheck(amount, balance, repaid, owed, min_percent, None, rule_source)
    if balance < amount:
        return replace(check, blocked="balance")
    if check.share_short:
        return replace(check, blocked="repaid_share")
    return check
