-- Requests, answers, proposals, cancellations, attendance.

ALTER TABLE meetings ADD COLUMN awaiting TEXT NOT NULL DEFAULT 'exhibitor'
    CHECK (awaiting IN ('exhibitor', 'attendee'));  -- who must answer a pending meeting
ALTER TABLE meetings ADD COLUMN answered_by INTEGER REFERENCES participants (id) ON DELETE SET NULL;
ALTER TABLE meetings ADD COLUMN decline_reason TEXT
    CHECK (decline_reason IS NULL OR decline_reason IN ('full', 'topic', 'other', 'proposal'));
ALTER TABLE meetings ADD COLUMN cancelled_by TEXT
    CHECK (cancelled_by IS NULL OR cancelled_by IN ('attendee', 'exhibitor', 'organiser'));
ALTER TABLE meetings ADD COLUMN cancel_reason TEXT
    CHECK (cancel_reason IS NULL OR cancel_reason IN ('unavailable', 'other', 'withdrawn', 'forgotten', 'blocked'));
ALTER TABLE meetings ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;  -- iCalendar SEQUENCE
ALTER TABLE meetings ADD COLUMN attendance_asked INTEGER NOT NULL DEFAULT 0 CHECK (attendance_asked IN (0, 1));
ALTER TABLE meetings ADD COLUMN attendance_attendee TEXT
    CHECK (attendance_attendee IS NULL OR attendance_attendee IN ('met', 'no_show'));
ALTER TABLE meetings ADD COLUMN attendance_exhibitor TEXT
    CHECK (attendance_exhibitor IS NULL OR attendance_exhibitor IN ('met', 'no_show'));

-- A pending request holds the attendee's slot, and one open request per pair.
CREATE UNIQUE INDEX meetings_one_open_per_attendee_slot
    ON meetings (attendee_id, slot_start) WHERE status IN ('pending', 'accepted');
CREATE UNIQUE INDEX meetings_one_open_per_pair
    ON meetings (attendee_id, exhibitor_id) WHERE status IN ('pending', 'accepted');
CREATE INDEX meetings_by_slot ON meetings (status, slot_start);

-- The request as each representative received it, to update it once someone answered.
CREATE TABLE meeting_messages (
    meeting_id     INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    message_id     INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, participant_id)
);

-- When each representative was last reminded of unanswered requests.
CREATE TABLE nudges (
    participant_id INTEGER PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    last_sent_at   TEXT NOT NULL
);
