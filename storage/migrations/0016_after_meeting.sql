-- After the meeting: the contact details each person may share, what they shared and with which
-- meeting, the stand's leads, and the ratings.

-- What a person would share: each detail set by them, none shared without their tap.
CREATE TABLE contact_cards (
    participant_id INTEGER PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    email          TEXT CHECK (email IS NULL OR length(email) <= 200),
    phone          TEXT CHECK (phone IS NULL OR length(phone) <= 40),
    website        TEXT CHECK (website IS NULL OR length(website) <= 200),
    updated_at     TEXT NOT NULL
);

-- Details one side of a meeting that took place shared with the other, as they were then.
CREATE TABLE contact_shares (
    meeting_id     INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    side           TEXT    NOT NULL CHECK (side IN ('attendee', 'exhibitor')),
    full_name      TEXT    NOT NULL,
    organisation   TEXT,
    email          TEXT,
    phone          TEXT,
    website        TEXT,
    shared_at      TEXT    NOT NULL,
    PRIMARY KEY (meeting_id, participant_id)
);

-- A stand's private follow-up of a meeting.
CREATE TABLE leads (
    meeting_id INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
    note       TEXT CHECK (note IS NULL OR length(note) <= 1000),
    state      TEXT NOT NULL DEFAULT 'to_contact' CHECK (state IN ('to_contact', 'contacted', 'not_relevant')),
    updated_by INTEGER REFERENCES participants (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL
);

-- One rating per meeting and side, once it took place (1 to 5, an optional comment).
CREATE TABLE ratings (
    meeting_id     INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    side           TEXT    NOT NULL CHECK (side IN ('attendee', 'exhibitor')),
    participant_id INTEGER REFERENCES participants (id) ON DELETE SET NULL,
    stars          INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment        TEXT CHECK (comment IS NULL OR length(comment) <= 500),
    created_at     TEXT    NOT NULL,
    PRIMARY KEY (meeting_id, side)
);

-- The end-of-day messages, filed once per event day (whichever process gets there first).
CREATE TABLE day_summaries (
    day      TEXT PRIMARY KEY,
    filed_at TEXT NOT NULL
);
