"""Telegram-facing code: one module per feature, thin."""
