"""The use cases (issue 11): one async function per intent, called by the bot, the CLI and the jobs alike.

Each use case opens its own transaction (``db.transaction()``), writes its own audit row and returns a result
dataclass: what was stored, with an enum outcome for the refusals a caller must explain. A use case never
renders text and never touches Telegram; the caller parses the input, calls it and renders the result.

Layer rule: services import the domain (``bot.roles``, ``bot.loans``, ``bot.clock``, ``bot.invite_tokens`` …),
``storage`` and the standard library only; never ``telegram``, ``handlers``, ``messages``, ``bot.app``,
``bot.cli``, ``bot.sender`` or ``bot.scheduler``.
"""
