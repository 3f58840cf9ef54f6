"""Parse errors with a stable machine code.

The message templates live elsewhere (keyed by the exception class and ``code``); this module only carries
the code and the values a template may need in ``params``.
"""

from __future__ import annotations


class ParseError(ValueError):
    """An input could not be parsed.

    ``code`` is a stable machine code such as ``'not_a_number'``; ``params`` holds values for the message
    template.
    """

    code: str
    params: dict[str, object]

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = dict(params)

    def __str__(self) -> str:
        if not self.params:
            return self.code
        details = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.code} ({details})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the exception picklable although __init__ takes keyword params.
        return (_rebuild, (type(self), self.code, self.params))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, **{self.params!r})"


def _rebuild(cls: type[ParseError], code: str, params: dict[str, object]) -> ParseError:
    return cls(code, **params)


class AmountError(ParseError):
    """A money amount could not be parsed."""


class DateError(ParseError):
    """A date could not be parsed."""


class TimeParseError(ParseError):
    """A time of day could not be parsed."""


class NikError(ParseError):
    """A NIK (Nomor Induk Kependudukan) is not valid."""


class PhoneError(ParseError):
    """A phone number is not a valid Indonesian mobile number."""


__all__ = ["AmountError", "DateError", "NikError", "ParseError", "PhoneError", "TimeParseError"]
