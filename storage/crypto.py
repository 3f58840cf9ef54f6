"""Encryption at rest of NIKs and phone numbers (UU 27/2022, issue 18 item 6), with ``cryptography``.

The key (``PEM_DATA_KEY``, made by ``pem-bot init-key``) is 32 random bytes written as URL-safe base64 (43
characters). HKDF-SHA256 derives two independent keys from it:

- an **AES-256-GCM** key that *seals* a value: the stored text is ``v1:`` followed by the URL-safe base64 (no
  padding) of a fresh 12-byte random nonce, the ciphertext and GCM's 16-byte tag. The same value sealed twice
  gives two different texts, so equal NIKs cannot be told apart in a copied file;
- an **HMAC-SHA256** key for the *look-up hashes* (``nik_hash``, ``phone_hash``): a keyed hash of the normalised
  value (a NIK's 16 digits, a phone in E.164), with the kind in front so that a NIK and a phone never collide.
  Duplicate checks, unique indexes and searches compare hashes; without the key a hash can't be recomputed
  from a guessed NIK (a plain SHA-256 of 16 digits could be brute-forced in minutes).

The database keeps a *key check* (the HMAC of a constant, :meth:`DataKey.check_value`), so a wrong or missing
key is recognised at start-up instead of as garbled data later (:mod:`storage.identity`).

Without a key (:class:`ClearCipher`: a database opened directly by a test or a benchmark, never by the bot,
whose entry points refuse to run without one) nothing is sealed: values are stored as they are and the hashes
use a fixed, public key. Such a database holds no key check; the first open with a real key seals everything
and recomputes the hashes (:func:`storage.identity.seal_at_rest`). A sealed value can't be read without the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: The prefix of a sealed value (the format's version).
PREFIX = "v1:"
_NONCE = 12
_CHECK_MESSAGE = b"pem-bot data key check v1"
#: The HMAC key of a database without a key (not a secret: such a database seals nothing).
_CLEAR_HASH_KEY = b"pem-bot: no PEM_DATA_KEY, nothing sealed"


class DataKeyError(Exception):
    """The data key is missing (``missing``), does not open this database (``wrong``) or is not a key
    (``malformed``). The CLI renders it as one line (``plain/cli/data_key``) and exits with status 2."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def new_key() -> str:
    """A new random key, as ``PEM_DATA_KEY`` holds it. Never one that starts with ``-``: a command line such as
    ``pem-bot rotate-key --new-key -Xy…`` would read it as an option (1 key in 64 did)."""
    while True:
        key = secrets.token_urlsafe(32)
        if not key.startswith("-"):
            return key


def parse_key(text: str) -> bytes:
    """The 32 bytes of a ``PEM_DATA_KEY``; DataKeyError ``malformed`` when it is not one."""
    raw = text.strip()
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DataKeyError("malformed") from exc
    if len(key) != 32 or len(raw) != 43:
        raise DataKeyError("malformed")
    return key


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class Cipher(Protocol):
    """What repositories use (``q.key``): seal/reveal a value, hash a value for look-ups."""

    keyed: bool

    def seal(self, value: str | None) -> str | None: ...
    def reveal(self, stored: str | None) -> str | None: ...
    def hash(self, kind: str, value: str | None) -> str | None: ...
    def check_value(self) -> str: ...


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _hash(mac_key: bytes, kind: str, value: str | None) -> str | None:
    if value is None:
        return None
    return _b64(hmac.digest(mac_key, f"{kind}:{value}".encode(), hashlib.sha256))


class DataKey:
    """The configured key: seals, reveals and hashes (see the module docstring)."""

    keyed = True

    def __init__(self, text: str) -> None:
        self._text = text
        material = HKDF(algorithm=hashes.SHA256(), length=64, salt=None,
                        info=b"pem-bot PEM_DATA_KEY v1").derive(parse_key(text))
        self._aead = AESGCM(material[:32])
        self._mac = material[32:]

    def __reduce__(self) -> tuple[type[DataKey], tuple[str]]:
        # Long work runs in a worker process (storage/db.py Database.off_loop): the key goes there through the
        # pool's local pipe and is derived again (the AES-GCM object itself does not pickle).
        return DataKey, (self._text,)

    def seal(self, value: str | None) -> str | None:
        if value is None:
            return None
        nonce = os.urandom(_NONCE)
        return PREFIX + _b64(nonce + self._aead.encrypt(nonce, value.encode(), None))

    def reveal(self, stored: str | None) -> str | None:
        """The clear value of a sealed text; a text that is not sealed (a row written before the key, which the
        next open seals) is returned as it is. DataKeyError ``wrong`` when it was sealed with another key."""
        if stored is None or not stored.startswith(PREFIX):
            return stored
        body = stored[len(PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise DataKeyError("wrong") from exc

    def hash(self, kind: str, value: str | None) -> str | None:
        return _hash(self._mac, kind, value)

    def check_value(self) -> str:
        """What the database keeps to recognise this key (an HMAC of a constant: it reveals nothing)."""
        return _b64(hmac.digest(self._mac, _CHECK_MESSAGE, hashlib.sha256))

    def matches(self, stored_check: str) -> bool:
        return hmac.compare_digest(self.check_value(), stored_check)


class ClearCipher:
    """No key: values are stored as they are (see the module docstring); a sealed value can't be read."""

    keyed = False

    def seal(self, value: str | None) -> str | None:
        return value

    def reveal(self, stored: str | None) -> str | None:
        if stored is not None and stored.startswith(PREFIX):
            raise DataKeyError("missing")
        return stored

    def hash(self, kind: str, value: str | None) -> str | None:
        return _hash(_CLEAR_HASH_KEY, kind, value)

    def check_value(self) -> str:
        raise DataKeyError("missing")


NO_KEY = ClearCipher()


def cipher_for(text: str | None) -> Cipher:
    """The cipher of a configured ``PEM_DATA_KEY`` (empty or None: :data:`NO_KEY`)."""
    return DataKey(text) if text else NO_KEY
