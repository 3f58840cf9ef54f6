"""Roles a person can hold. Every role except ``city`` is bound to the person's one kelurahan."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum


class Role(StrEnum):
    BORROWER = "borrower"
    TREASURER = "treasurer"
    LURAH = "lurah"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    CITY = "city"  # Bappeda staff: read-only over all kelurahan
    #: a Karang Taruna participant linked to Telegram (issue 5): sees and cancels their own registrations only.
    #: Granted by a coordinator's "Undang ke Telegram" invite, never by /undang.
    PARTICIPANT = "participant"

    @property
    def needs_kelurahan(self) -> bool:
        return self is not Role.CITY


ALL_ROLES: frozenset[Role] = frozenset(Role)
#: Roles a kelurahan admin may hand out with /undang (city accounts come from the CLI only).
INVITABLE_BY_ADMIN: tuple[Role, ...] = (Role.BORROWER, Role.TREASURER, Role.LURAH, Role.COORDINATOR, Role.ADMIN)


# --- maker-checker: who checks an action ---------------------------------------------------------------------
#: Who checks an action when none of the kelurahan's treasurers can (the only treasurer reported her own
#: repayment): the kelurahan's lurah and admins.
FALLBACK_CHECKERS: frozenset[Role] = frozenset({Role.LURAH, Role.ADMIN})


class CheckedBy(StrEnum):
    """Which group checks an action (what the maker is told)."""

    TREASURER = "treasurer"  # another treasurer of the kelurahan
    FALLBACK = "fallback"  # no treasurer can: the lurah and the admins of the kelurahan (a proposal: the admins)
    LURAH = "lurah"  # a loan-life proposal (reschedule, write-off): the lurah (proposal_checkers)
    NOBODY = "nobody"  # nobody can (the lurah and admin are the makers, or the kelurahan has neither)


def checkers(candidates: Iterable[tuple[int, frozenset[Role]]], makers: Collection[int]
             ) -> tuple[CheckedBy, frozenset[int]]:
    """Maker-checker, the one rule every action that needs a second person uses (a reported repayment;
    a reschedule or a write-off has its own rule, :func:`proposal_checkers`).

    ``candidates`` are the kelurahan's people who could check, as ``(person id, roles)`` (active and on
    Telegram: the caller decides who can be reached); ``makers`` are the people the action is *of* (who
    reported it, whose loan it is). The checkers are the treasurers who are not makers; when there is none,
    the lurah and admins who are not makers (:data:`FALLBACK_CHECKERS`). Nobody ever checks their own action.
    """
    people = [(pid, roles) for pid, roles in candidates if pid not in makers]
    treasurers = frozenset(pid for pid, roles in people if Role.TREASURER in roles)
    if treasurers:
        return CheckedBy.TREASURER, treasurers
    fallback = frozenset(pid for pid, roles in people if roles & FALLBACK_CHECKERS)
    return (CheckedBy.FALLBACK, fallback) if fallback else (CheckedBy.NOBODY, frozenset())


def proposal_checkers(candidates: Iterable[tuple[int, frozenset[Role]]], makers: Collection[int]
                      ) -> tuple[CheckedBy, frozenset[int]]:
    """Maker-checker for a loan's life (issue 16: a reschedule, a write-off): the kelurahan's **lurah** decides;
    when the lurah is a maker (proposed it, or it is their loan) or the kelurahan has no lurah who can be
    reached, its **admins** do. Treasurers never decide these, and nobody ever decides their own proposal.
    Returns ``CheckedBy.TREASURER`` never: ``FALLBACK`` means "the admins".
    """
    people = [(pid, roles) for pid, roles in candidates if pid not in makers]
    lurahs = frozenset(pid for pid, roles in people if Role.LURAH in roles)
    if lurahs:
        return CheckedBy.LURAH, lurahs
    admins = frozenset(pid for pid, roles in people if Role.ADMIN in roles)
    return (CheckedBy.FALLBACK, admins) if admins else (CheckedBy.NOBODY, frozenset())
