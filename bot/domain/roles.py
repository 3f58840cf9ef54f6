"""Roles a person can hold. Every role except ``city`` is bound to the person's one kelurahan."""

from __future__ import annotations

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
