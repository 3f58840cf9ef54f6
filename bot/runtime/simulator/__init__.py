"""``pem-bot try``: the real bot against an embedded Telegram (:mod:`.botapi`), with a chat page (:mod:`.web`)."""
