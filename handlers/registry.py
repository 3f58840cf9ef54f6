"""The bot's command registry: every feature's :class:`~bot.domain.commands.CommandSpec`, in menu order.

``handlers/__init__.py`` imports the features and installs their commands here once they are all imported;
the features that list commands (/bantuan, the menus, the welcome, /bahasa) read them from here. A module of
its own so that a feature never imports the package that imports it.
"""

from __future__ import annotations

from bot.domain.commands import CommandSpec

_commands: tuple[CommandSpec, ...] = ()


def install(specs: tuple[CommandSpec, ...]) -> None:
    names = [n for s in specs for n in s.names]
    if len(names) != len(set(names)):
        raise RuntimeError(f"duplicate command names: {sorted({n for n in names if names.count(n) > 1})}")
    global _commands
    _commands = specs


def all_commands() -> tuple[CommandSpec, ...]:
    """Every command of every feature (installed by ``handlers/__init__.py`` when the package is imported)."""
    return _commands
