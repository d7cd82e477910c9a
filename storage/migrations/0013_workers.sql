-- Several processes share one database (PostgreSQL): an ingress keeps the updates, workers claim
-- them. A claim is a lease: a worker that dies leaves its updates to be taken over once it runs out.
ALTER TABLE inbox ADD COLUMN claimed_by TEXT;
ALTER TABLE inbox ADD COLUMN claimed_until TEXT;  -- UTC, ISO 8601
ALTER TABLE inbox ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;  -- more than 1: taken over after a crash
CREATE INDEX inbox_by_user ON inbox (user_key, update_id);

-- The processes that send messages, to share Telegram's budget among them (bot/pacing.py): each
-- says it is alive every few seconds; one that stops saying so no longer counts.
CREATE TABLE senders (
    name       TEXT PRIMARY KEY,  -- host, pid and a random part
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL
);
