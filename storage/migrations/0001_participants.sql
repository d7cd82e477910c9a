-- People known to the bot. Registration details arrive with a later migration.
CREATE TABLE participants (
    id           INTEGER PRIMARY KEY,
    telegram_id  INTEGER NOT NULL UNIQUE,
    language     TEXT    NOT NULL CHECK (language IN ('fr', 'en')),
    reachable    INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
