"""Telegram handlers, one module per feature. This module assembles them.

``FEATURES`` lists the feature modules. Each has ``COMMANDS`` (its :class:`~bot.domain.commands.CommandSpec` entries)
and ``handlers()`` returning a :class:`~handlers.feature.FeatureHandlers`. All forms share the persistent
``forms`` conversation (see :mod:`handlers.feature`); ``fallback`` comes last so that it only sees what nobody
else claimed.
"""

from __future__ import annotations

import warnings
from functools import cache

from telegram.ext import Application, ConversationHandler
from telegram.warnings import PTBUserWarning

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
    registration,
    repayment,
    verification,
)
from handlers.feature import FeatureHandlers
from handlers.forms import ANY_FORM_BUTTON
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


def build_forms(parts: list[FeatureHandlers], declared: Dispatcher | None = None) -> ConversationHandler:
    """The one ``forms`` conversation of the older, hand-written forms. The declared forms' entry points are
    among its entry points too (they return END), so opening a declared form ends an older one."""
    states: dict[object, list] = {}
    for part in parts:
        overlap = states.keys() & part.form_states.keys()
        if overlap:
            raise RuntimeError(f"form states defined twice: {overlap}")
        states.update(part.form_states)
    with warnings.catch_warnings():
        # Form buttons are tracked per user on purpose; stale buttons are caught by handlers.forms.
        warnings.filterwarnings("ignore", message=r".*per_message=False", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[h for part in parts for h in part.form_entry_points]
            + ([] if declared is None else declared.entry_points()),
            states=states,
            fallbacks=[fallback.cancel_handler(), fallback.stale_button_handler(ANY_FORM_BUTTON)],
            name="forms",
            persistent=True,
            allow_reentry=True,
        )


def register(application: Application) -> None:
    all_commands()
    parts = [feature.handlers() for feature in FEATURES]
    declared = Dispatcher([form for part in parts for form in part.forms])
    conversation = build_forms(parts, declared)
    declared.register(application, superseding=conversation.entry_points)
    application.add_handler(conversation)
    for part in parts:
        application.add_handlers(part.handlers)
    application.add_error_handler(errors.on_error)
