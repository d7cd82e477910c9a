-- Meetings between an attendee and an exhibitor in a slot. The invariants live here,
-- not only in Python: one accepted meeting per attendee per slot, one per exhibitor
-- table per slot, and a table number within the exhibitor's tables.

CREATE TABLE meetings (
    id           INTEGER PRIMARY KEY,
    attendee_id  INTEGER REFERENCES participants (id) ON DELETE SET NULL,
    exhibitor_id INTEGER NOT NULL REFERENCES exhibitors (id),
    slot_start   TEXT    NOT NULL,  -- the slot's start, UTC, ISO 8601
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
    table_no     INTEGER CHECK (table_no IS NULL OR table_no >= 1),
    note         TEXT    CHECK (note IS NULL OR length(note) <= 300),
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    CHECK ((status = 'accepted') = (table_no IS NOT NULL))
);

CREATE UNIQUE INDEX meetings_one_accepted_per_attendee_slot
    ON meetings (attendee_id, slot_start) WHERE status = 'accepted';
CREATE UNIQUE INDEX meetings_one_accepted_per_table_slot
    ON meetings (exhibitor_id, slot_start, table_no) WHERE status = 'accepted';
CREATE INDEX meetings_by_exhibitor ON meetings (exhibitor_id, status);
CREATE INDEX meetings_by_attendee ON meetings (attendee_id, status);

CREATE TRIGGER meetings_table_within_exhibitor_insert
BEFORE INSERT ON meetings
WHEN NEW.table_no IS NOT NULL
     AND NEW.table_no > (SELECT tables FROM exhibitors WHERE id = NEW.exhibitor_id)
BEGIN
    SELECT RAISE(ABORT, 'table number beyond the exhibitor''s tables');
END;

CREATE TRIGGER meetings_table_within_exhibitor_update
BEFORE UPDATE OF table_no, exhibitor_id ON meetings
WHEN NEW.table_no IS NOT NULL
     AND NEW.table_no > (SELECT tables FROM exhibitors WHERE id = NEW.exhibitor_id)
BEGIN
    SELECT RAISE(ABORT, 'table number beyond the exhibitor''s tables');
END;

-- An exhibitor's tables cannot drop below a table an accepted meeting uses.
CREATE TRIGGER exhibitors_tables_cover_accepted_meetings
BEFORE UPDATE OF tables ON exhibitors
WHEN NEW.tables < (SELECT COALESCE(MAX(table_no), 0) FROM meetings
                   WHERE exhibitor_id = NEW.id AND status = 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'accepted meetings use more tables');
END;
