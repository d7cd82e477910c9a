"""Domain services: the product's rules, free of Telegram types."""
