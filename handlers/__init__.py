"""Telegram handlers, one module per feature. This module assembles them.

``FEATURES`` lists the feature modules. Each has ``COMMANDS`` (its :class:`~bot.domain.commands.CommandSpec` entries)
and ``handlers()`` returning a :class:`~handlers.feature.FeatureHandlers`. :func:`register` adds the form engine's
dispatcher (group -1: answers to the user's open form), every declared form's entry points, then each feature's
handlers in ``FEATURES`` order; ``fallback`` comes last so that it only sees what nobody else claimed (in a
group PTB runs the first handler that matches).
"""

from __future__ import annotations

from functools import cache

from telegram.ext import Application

from bot.domain.commands import CommandSpec
from handlers import (
    cash,
    digest,
    errors,
    events,
    fallback,
    followup,
    help,
    invites,
    language,
    loan_view,
    new_loan,
    onboarding,
    participant_link,
    privacy,
    registration,
    repayment,
    verification,
)
from handlers.forms.engine import Dispatcher

#: Order matters only for the menu and /bantuan: it is the order commands are listed in.
FEATURES = (
    onboarding,
    help,
    repayment,
    loan_view,
    verification,
    cash,
    new_loan,
    digest,
    events,
    registration,
    followup,
    participant_link,
    invites,
    privacy,
    language,
    fallback,  # last: it only sees what nobody else claimed
)


@cache
def all_commands() -> tuple[CommandSpec, ...]:
    specs = tuple(spec for feature in FEATURES for spec in feature.COMMANDS)
    names = [n for s in specs for n in s.names]
    if len(names) != len(set(names)):
        raise RuntimeError(f"duplicate command names: {sorted(n for n in names if names.count(n) > 1)}")
    return specs


def register(application: Application) -> None:
    all_commands()
    parts = [feature.handlers() for feature in FEATURES]
    Dispatcher([form for part in parts for form in part.forms]).register(application)
    for part in parts:
        application.add_handlers(part.handlers)
    application.add_error_handler(errors.on_error)
