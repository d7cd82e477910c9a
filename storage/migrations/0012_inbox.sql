-- Every update, written before Telegram is told it was received (the next getUpdates' offset, or the
-- webhook's 200), and deleted as soon as it has been handled: a restart hands on what a crash
-- interrupted. The newest id ever received stays (no personal data in it): an update Telegram sends
-- again after a crash, at or below it, was received already.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    user_key    INTEGER,           -- whose updates must run in order (the user, else the chat)
    payload     TEXT NOT NULL,     -- the update (JSON)
    received_at TEXT NOT NULL
);

CREATE TABLE inbox_newest (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    update_id INTEGER NOT NULL
);
