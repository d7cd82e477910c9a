-- Broadcasts and notices go through an outbox: one row per recipient, claimed then sent.

CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    author_id           INTEGER REFERENCES participants (id) ON DELETE SET NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('announcement', 'notice')),
    audience            TEXT    NOT NULL,
    send_at             TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    progress_chat_id    INTEGER,
    progress_message_id INTEGER,
    finished_at         TEXT
);

CREATE TABLE deliveries (
    id             INTEGER PRIMARY KEY,
    broadcast_id   INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    participant_id INTEGER REFERENCES participants (id) ON DELETE CASCADE,
    chat_id        INTEGER NOT NULL,
    text           TEXT    NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'claimed', 'sent', 'unreachable', 'failed')),
    not_before     TEXT    NOT NULL,
    claimed_at     TEXT,
    claimed_by     TEXT,
    sent_at        TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT
);
CREATE INDEX deliveries_due ON deliveries (state, not_before);
CREATE INDEX deliveries_by_broadcast ON deliveries (broadcast_id, state);

-- Slots closed to meetings: for everyone (exhibitor_id NULL) or for one exhibitor.
CREATE TABLE blocked_slots (
    id           INTEGER PRIMARY KEY,
    slot_start   TEXT    NOT NULL,
    exhibitor_id INTEGER REFERENCES exhibitors (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL
);
CREATE UNIQUE INDEX blocked_slots_once ON blocked_slots (slot_start, COALESCE(exhibitor_id, 0));
