-- Privacy: a notice that names someone else remembers whom (so /forget and the purge can take
-- the name out of its text), and the anonymous counts kept once personal data is purged.

ALTER TABLE deliveries ADD COLUMN about_id INTEGER;    -- the participant the text names
ALTER TABLE deliveries ADD COLUMN about_name TEXT;     -- their name, as it stands in the text
CREATE INDEX deliveries_about ON deliveries (about_id) WHERE about_id IS NOT NULL;

CREATE TABLE archived_counts (
    metric TEXT    NOT NULL,  -- role, org_type, theme
    key    TEXT    NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (metric, key)
);

CREATE TABLE purges (
    id           INTEGER PRIMARY KEY,
    purged_at    TEXT    NOT NULL,
    participants INTEGER NOT NULL
);
