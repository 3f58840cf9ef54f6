"""PEM Bot: Telegram bot for the PEM revolving-loan fund of Kota Kupang."""
