"""The use cases: one async function per intent. Each owns its transaction and its audit row and returns a
result (no Telegram objects, no rendered text); the bot, the CLI and the jobs all call these, so they never
disagree. Layer rule: services import the domain and storage only."""
