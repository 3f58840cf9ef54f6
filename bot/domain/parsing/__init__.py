"""Pure input parsing: money, dates and times, NIK and phone numbers.

Nothing here talks to Telegram or the database, and nothing here produces user-facing sentences: every
failure raises a :class:`bot.domain.parsing.errors.ParseError` subclass carrying a stable machine ``code`` and
template ``params``.
"""
