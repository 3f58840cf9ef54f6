"""What a feature module hands to the application.

Every form of the bot is a set of states inside **one** persistent ``ConversationHandler`` named ``forms``
(built in :mod:`handlers`), with ``allow_reentry=True``: a user has at most one form open, and any form command
starts a fresh form, replacing the old one. States are ``StrEnum`` members whose values are namespaced by
feature (``"undang.name"``), so the states of different features never collide and persist as plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from telegram.ext import BaseHandler

from handlers.forms.engine import Form

Handlers = list[BaseHandler]


@dataclass
class FeatureHandlers:
    #: commands or buttons that open one of this feature's forms
    form_entry_points: Handlers = field(default_factory=list)
    #: this feature's form states
    form_states: dict[object, Handlers] = field(default_factory=dict)
    #: everything else (plain commands, buttons outside forms)
    handlers: Handlers = field(default_factory=list)
    #: this feature's declared forms (handlers/forms/engine.py); they replace form_entry_points/form_states
    forms: list[Form] = field(default_factory=list)


FeatureFactory = Callable[[], FeatureHandlers]
