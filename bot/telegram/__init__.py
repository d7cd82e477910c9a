"""What reaches Telegram: the Bot API transport (``transport``), the send budget (``pacing``), the
bot object (``bot``), Telegram's HTML rules (``html``), the webhook endpoint (``webhook``), per-user
order on PTB's update processor (``concurrency``), the durable inbox of updates (``inbox``) and the
workers' claims and shared budget (``cluster``).

It may use python-telegram-bot, aiohttp, the services and storage; the domain (``bot.services``,
``bot.planner``) never imports it (import-linter contracts in pyproject.toml)."""
