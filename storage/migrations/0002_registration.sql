-- Registration: profiles, roles, exhibitors and their representatives, conversations.

CREATE TABLE exhibitors (
    id            INTEGER PRIMARY KEY,
    slug          TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 48),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description   TEXT    NOT NULL DEFAULT '',
    stand         TEXT    NOT NULL DEFAULT '',
    tables        INTEGER NOT NULL DEFAULT 1 CHECK (tables BETWEEN 1 AND 50),
    website       TEXT,
    contact_email TEXT,
    invite_token  TEXT    NOT NULL UNIQUE,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE exhibitor_themes (
    exhibitor_id INTEGER NOT NULL REFERENCES exhibitors (id) ON DELETE CASCADE,
    theme_id     TEXT    NOT NULL,
    PRIMARY KEY (exhibitor_id, theme_id)
);

-- Rows of version 1 held only a language chosen before any consent was asked:
-- registration now stores nothing before consent, so none of them is kept.
DROP TABLE participants;

CREATE TABLE participants (
    id           INTEGER PRIMARY KEY,
    telegram_id  INTEGER NOT NULL UNIQUE,
    role         TEXT    NOT NULL CHECK (role IN ('attendee', 'exhibitor', 'organiser')),
    exhibitor_id INTEGER REFERENCES exhibitors (id),
    language     TEXT    NOT NULL CHECK (language IN ('fr', 'en')),
    full_name    TEXT    NOT NULL CHECK (length(full_name) BETWEEN 2 AND 80),
    organisation TEXT    CHECK (organisation IS NULL OR length(organisation) BETWEEN 2 AND 120),
    org_type     TEXT    CHECK (org_type IS NULL OR org_type IN
                     ('local_authority', 'social_landlord', 'company', 'sse', 'research', 'other')),
    job_title    TEXT    CHECK (job_title IS NULL OR length(job_title) BETWEEN 2 AND 80),
    looking_for  TEXT    CHECK (looking_for IS NULL OR length(looking_for) BETWEEN 1 AND 500),
    consent_at   TEXT    NOT NULL,
    reachable    INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    CHECK ((role = 'exhibitor') = (exhibitor_id IS NOT NULL))
);
CREATE INDEX participants_by_exhibitor ON participants (exhibitor_id) WHERE exhibitor_id IS NOT NULL;

CREATE TABLE participant_themes (
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    theme_id       TEXT    NOT NULL,
    PRIMARY KEY (participant_id, theme_id)
);

-- A conversation in progress (registration, profile edit): survives restarts.
CREATE TABLE conversations (
    telegram_id    INTEGER PRIMARY KEY,
    flow           TEXT    NOT NULL,
    step           TEXT    NOT NULL,
    data           TEXT    NOT NULL,
    prompt_pending INTEGER NOT NULL DEFAULT 1 CHECK (prompt_pending IN (0, 1)),
    updated_at     TEXT    NOT NULL
);

CREATE TABLE organiser_invites (
    id         INTEGER PRIMARY KEY,
    token      TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL,
    claimed_by INTEGER REFERENCES participants (id) ON DELETE SET NULL,
    claimed_at TEXT
);
