"""Samples for the foundation's templates."""

from datetime import UTC, datetime
from types import SimpleNamespace

from bot.domain.roles import Role

_COMMANDS = [("bantuan", "bantuan"), ("undang", "undang"), ("bahasa", "bahasa"), ("batal", "batal")]
_PERSON = SimpleNamespace(id=1, name="Maria Goreti Bria Seran", roles=frozenset({Role.ADMIN, Role.TREASURER}),
                          kelurahan_code="53.71.05.1004", phone="+6281234567890", linked=True)

SAMPLES = {
    "errors/private_only": {},
    "errors/not_registered": {},
    "errors/not_allowed": {},
    "errors/stale_button": {},
    "errors/notice_undelivered": {"name": "Yohanis Ndolu"},
    "errors/internal": {},
    "errors/not_text": {},
    "common/cancelled": {},
    "common/nothing_to_cancel": {},
    "common/use_buttons": {},
    "common/notice": {"text": "<b>Pembayaran</b> Rp500.000 sudah diverifikasi."},
    "onboarding/unknown_user": {},
    "onboarding/welcome": {"name": "Maria <Bria>", "roles": ["admin"], "commands": _COMMANDS, "first": True},
    "onboarding/invite_unknown": {},
    "onboarding/invite_expired": {},
    "onboarding/invite_used": {},
    "onboarding/invite_already_linked": {"name": "Maria Bria"},
    "help/help": {"linked": True, "commands": _COMMANDS},
    "language/choose": {},
    "language/changed": {},
    "invites/ask_role": {},
    "invites/ask_name": {"role": "treasurer"},
    "invites/name_invalid": {"max": 80},
    "invites/ask_phone": {"name": "Maria Bria"},
    "invites/phone_invalid": {"code": "landline"},
    "invites/created": {"name": "Maria Bria", "typed_name": "Maria", "existing": True, "role": "borrower",
                        "link": "https://t.me/pem_bot?start=" + "A" * 32,
                        "expires_at": datetime(2026, 12, 5, 2, 0, tzinfo=UTC)},
    "plain/commands": {"command": "bayar"},
    "plain/labels/common": {"key": "yes"},
    "plain/cli/config_error": {"code": "timezone", "value": "Mars/Olympus"},
    "plain/cli/error": {"code": "no_kelurahan", "value": "Atlantis"},
    "plain/cli/invite_reused": {"name": "Maria Bria", "id": 7},
    "plain/cli/token_rejected": {},
    "plain/cli/migrated": {"applied": ["0001_init.sql"], "path": "data/pem.sqlite3"},
    "plain/cli/people": {"people": [_PERSON] * 3},
}
