-- Reminders: rows are the truth; in-memory jobs are rebuilt from them at every start.

CREATE TABLE reminders (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('meeting', 'digest')),
    meeting_id     INTEGER REFERENCES meetings (id) ON DELETE CASCADE,  -- NULL for a day digest
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    lead_seconds   INTEGER NOT NULL,
    due_at         TEXT    NOT NULL,  -- UTC, ISO 8601
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'claimed', 'sent', 'skipped', 'cancelled')),
    claimed_at     TEXT,
    claimed_by     TEXT,
    sent_at        TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    CHECK ((kind = 'meeting') = (meeting_id IS NOT NULL))
);
CREATE UNIQUE INDEX reminders_one_per_meeting_lead
    ON reminders (meeting_id, participant_id, lead_seconds) WHERE kind = 'meeting';
CREATE UNIQUE INDEX reminders_one_digest_per_day
    ON reminders (participant_id, due_at) WHERE kind = 'digest';
CREATE INDEX reminders_open ON reminders (state, due_at) WHERE state IN ('pending', 'claimed');

-- A new time proposed for an accepted meeting; it moves only if the attendee agrees.
ALTER TABLE meetings ADD COLUMN proposed_slot TEXT;
