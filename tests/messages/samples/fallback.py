"""Samples for the fallback's templates (issue 14, items 6 and 7)."""

from __future__ import annotations

SAMPLES = {
    "fallback/unknown_command": {"command": "/perintahsalah" + "x" * 26},
    "fallback/not_understood": {},
}
