"""What a feature module hands to the application (assembled by :func:`handlers.register`).

A feature's forms are declared (:class:`~handlers.forms.engine.Form`) and run by the form engine, which also
registers their entry points; ``handlers`` are the feature's plain commands and buttons. A user has at most one
form open; a plain command or button works while a form is open and leaves it where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from telegram.ext import BaseHandler

from handlers.forms.engine import Form

Handlers = list[BaseHandler]


@dataclass
class FeatureHandlers:
    #: plain commands and buttons (not answers to a form)
    handlers: Handlers = field(default_factory=list)
    #: this feature's declared forms (handlers/forms/engine.py)
    forms: list[Form] = field(default_factory=list)


FeatureFactory = Callable[[], FeatureHandlers]
