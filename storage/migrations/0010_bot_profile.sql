-- What the bot learnt about itself from Telegram (its username), for the commands that run offline.
CREATE TABLE bot_profile (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
