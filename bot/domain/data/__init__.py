"""Static data files shipped with the bot; load them with :mod:`importlib.resources` from ``bot.domain.data``."""
