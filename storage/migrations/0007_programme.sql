-- The programme: who follows which session, and the organisers' changes to it.

CREATE TABLE session_followers (
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    session_id     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    PRIMARY KEY (participant_id, session_id)
);

-- A change announced from the chat overrides the event file's time, room or status.
CREATE TABLE session_changes (
    session_id TEXT PRIMARY KEY,
    start      TEXT,
    end_at     TEXT,
    room       TEXT,
    cancelled  INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    sequence   INTEGER NOT NULL DEFAULT 0,  -- iCalendar SEQUENCE
    updated_at TEXT    NOT NULL
);

-- Reminders now also go before the sessions people follow.
CREATE TABLE reminders_new (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('meeting', 'digest', 'session')),
    meeting_id     INTEGER REFERENCES meetings (id) ON DELETE CASCADE,
    session_id     TEXT,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    lead_seconds   INTEGER NOT NULL,
    due_at         TEXT    NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'claimed', 'sent', 'skipped', 'cancelled')),
    claimed_at     TEXT,
    claimed_by     TEXT,
    sent_at        TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    CHECK ((kind = 'meeting') = (meeting_id IS NOT NULL)),
    CHECK ((kind = 'session') = (session_id IS NOT NULL))
);
INSERT INTO reminders_new (id, kind, meeting_id, session_id, participant_id, lead_seconds, due_at, state,
                           claimed_at, claimed_by, sent_at, attempts)
    SELECT id, kind, meeting_id, NULL, participant_id, lead_seconds, due_at, state, claimed_at, claimed_by, sent_at,
           attempts FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_new RENAME TO reminders;
CREATE UNIQUE INDEX reminders_one_per_meeting_lead
    ON reminders (meeting_id, participant_id, lead_seconds) WHERE kind = 'meeting';
CREATE UNIQUE INDEX reminders_one_per_session_lead
    ON reminders (session_id, participant_id, lead_seconds) WHERE kind = 'session';
CREATE UNIQUE INDEX reminders_one_digest_per_day
    ON reminders (participant_id, due_at) WHERE kind = 'digest';
CREATE INDEX reminders_open ON reminders (state, due_at) WHERE state IN ('pending', 'claimed');
