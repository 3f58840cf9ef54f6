"""The command registry: which commands exist, their English alias, and who may use them.

Each feature module in ``handlers/`` declares a ``COMMANDS`` tuple of :class:`CommandSpec`; the application
collects them (``handlers.all_commands()``) to build the command menus (``set_my_commands``), ``/bantuan`` and
the role-refusal test. Descriptions are in ``messages/templates/<lang>/plain/commands.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.roles import Role


@dataclass(frozen=True)
class CommandSpec:
    name: str  # Indonesian, the primary name
    alias: str | None  # English alias; both always work, the menu shows the one of the user's language
    roles: frozenset[Role] | None  # None: anyone, linked or not
    private: bool = True  # shows private data, so it refuses to work in group chats
    menu: bool = True  # listed in the command menu and /bantuan

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,) if self.alias is None else (self.name, self.alias)

    def menu_name(self, lang: str) -> str:
        return self.alias if lang == "en" and self.alias else self.name

    def allows(self, roles: frozenset[Role]) -> bool:
        return self.roles is None or bool(self.roles & roles)


def commands_for(specs: tuple[CommandSpec, ...], roles: frozenset[Role]) -> list[CommandSpec]:
    """The menu commands a person with ``roles`` may use, in registry order."""
    return [s for s in specs if s.menu and s.allows(roles)]
