"""Telegram handlers, one module per feature. This module assembles them.

:mod:`handlers.groups` answers our commands in a group chat first (group -2). ``FEATURES`` lists the feature
modules. Each has ``COMMANDS`` (its :class:`~bot.domain.commands.CommandSpec` entries)
and ``handlers()`` returning a :class:`~handlers.feature.FeatureHandlers`. :func:`register` adds the form engine's
dispatcher (group -1: answers to the user's open form), every declared form's entry points, then each feature's
handlers in ``FEATURES`` order; ``fallback`` comes last so that it only sees what nobody else claimed (in a
group PTB runs the first handler that matches).
"""

from __future__ import annotations

from telegram.ext import Application

from bot.domain.commands import CommandSpec
from handlers import (
    applications,
    card,
    cash,
    cash_book,
    digest,
    disbursement,
    errors,
    events,
    fallback,
    followup,
    groups,
    help,
    invites,
    language,
    lifecycle,
    loan_view,
    new_loan,
    onboarding,
    participant_link,
    pauses,
    privacy,
    receipts,
    registration,
    registry,
    repayment,
    report,
    verification,
    visits,
    warnings,
)
from handlers.forms.engine import Dispatcher
from handlers.registry import install

#: Order matters only for the menu and /bantuan: it is the order commands are listed in.
FEATURES = (
    onboarding,
    help,
    repayment,
    loan_view,
    card,
    receipts,
    disbursement,
    verification,
    warnings,
    cash,
    cash_book,
    lifecycle,
    new_loan,
    applications,
    visits,
    pauses,
    digest,
    report,
    events,
    registration,
    followup,
    participant_link,
    invites,
    privacy,
    language,
    fallback,  # last: it only sees what nobody else claimed
)


install(tuple(spec for feature in FEATURES for spec in feature.COMMANDS))


def all_commands() -> tuple[CommandSpec, ...]:
    return registry.all_commands()


def register(application: Application) -> None:
    groups.register(application, all_commands())  # group -2: our commands in a group chat, before anything
    parts = [feature.handlers() for feature in FEATURES]
    Dispatcher([form for part in parts for form in part.forms]).register(application)
    for part in parts:
        application.add_handlers(part.handlers)
    application.add_error_handler(errors.on_error)
