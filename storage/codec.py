"""The JSON codec of what the bot stores as JSON text (a form draft's data, an outbox message's context).

Besides JSON's own types a value may hold ``date``, ``datetime``, ``time`` and ``Decimal`` values and tuples
(tagged on the way in and restored on the way out); anything else raises ``TypeError`` at write time, which
surfaces as a bug in tests instead of a lost form. Output is compact with sorted keys, so equal values give
equal text.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

#: Values JSON writes as they are (checked by exact type: the common case of a draft, a third faster).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) in _PLAIN else _encode(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else _encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, time):
        return {"__time__": value.isoformat()}
    if isinstance(value, Decimal):
        return {"__decimal__": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} as JSON: use JSON-friendly values")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (tag, inner), = value.items()
            if tag == "__tuple__":
                return tuple(_decode(v) for v in inner)
            if tag == "__datetime__":
                return datetime.fromisoformat(inner)
            if tag == "__date__":
                return date.fromisoformat(inner)
            if tag == "__time__":
                return time.fromisoformat(inner)
            if tag == "__decimal__":
                return Decimal(inner)
        return {k: _decode(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    return json.dumps(_encode(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> Any:
    return _decode(json.loads(text))
