"""Samples for the templates of issue 14's items 8-15 (/undang's namesake question)."""

from types import SimpleNamespace

from bot.domain.roles import Role

_PERSON = SimpleNamespace(name="Maria Goreti Bria Seran Nggadas Lero " * 2, phone="+6281234567890",
                          roles=frozenset({Role.BORROWER, Role.TREASURER}), linked=True)

SAMPLES = {
    "invites/ask_same": {"name": "Maria Goreti Bria Seran Nggadas Lero " * 2,
                         "people": [_PERSON, SimpleNamespace(name="Maria", phone=None, roles=frozenset(),
                                                             linked=False)] * 10},
    "plain/labels/invites": {"key": "existing"},
}
