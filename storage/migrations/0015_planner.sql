-- The speed-meeting planner: wishes, the plans computed from them, and why each meeting was planned.

-- An attendee's ranked wish to meet an exhibitor (1 = most wanted); the ranks of one attendee
-- are kept 1..n without holes by the repository, which rewrites them in one transaction.
CREATE TABLE wishes (
    attendee_id  INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    exhibitor_id INTEGER NOT NULL REFERENCES exhibitors (id) ON DELETE CASCADE,
    rank         INTEGER NOT NULL CHECK (rank >= 1),
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (attendee_id, exhibitor_id)
);
CREATE INDEX wishes_by_exhibitor ON wishes (exhibitor_id);

-- A stand's wish to meet an attendee, marked by one of its representatives.
CREATE TABLE stand_wishes (
    exhibitor_id INTEGER NOT NULL REFERENCES exhibitors (id) ON DELETE CASCADE,
    attendee_id  INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    wished_by    INTEGER REFERENCES participants (id) ON DELETE SET NULL,
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (exhibitor_id, attendee_id)
);
CREATE INDEX stand_wishes_by_attendee ON stand_wishes (attendee_id);

-- A plan: computed (a preview), then published or set aside. ``summary`` is the preview's figures as JSON.
CREATE TABLE plans (
    id           INTEGER PRIMARY KEY,
    created_at   TEXT    NOT NULL,
    created_by   INTEGER REFERENCES participants (id) ON DELETE SET NULL,
    day          TEXT,  -- the event day planned (ISO date), or NULL for every day
    state        TEXT    NOT NULL DEFAULT 'preview' CHECK (state IN ('preview', 'published', 'discarded')),
    summary      TEXT    NOT NULL,
    published_at TEXT
);

-- The meetings a plan proposes, and why: 'wish' (the attendee's wish, with its rank), 'mutual'
-- (both sides wished it), 'stand' (the stand's wish).
CREATE TABLE plan_meetings (
    plan_id      INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    attendee_id  INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    exhibitor_id INTEGER NOT NULL REFERENCES exhibitors (id) ON DELETE CASCADE,
    slot_start   TEXT    NOT NULL,
    reason       TEXT    NOT NULL CHECK (reason IN ('wish', 'mutual', 'stand')),
    rank         INTEGER,
    PRIMARY KEY (plan_id, attendee_id, exhibitor_id)
);

-- Each wish a plan could not meet, and why (see bot/planner/explain.py).
CREATE TABLE plan_unmet (
    plan_id      INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    attendee_id  INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    exhibitor_id INTEGER NOT NULL REFERENCES exhibitors (id) ON DELETE CASCADE,
    reason       TEXT    NOT NULL,
    PRIMARY KEY (plan_id, attendee_id, exhibitor_id)
);

-- A meeting a published plan made, and why.
ALTER TABLE meetings ADD COLUMN plan_id INTEGER REFERENCES plans (id) ON DELETE SET NULL;
ALTER TABLE meetings ADD COLUMN plan_reason TEXT;
ALTER TABLE meetings ADD COLUMN plan_rank INTEGER;
