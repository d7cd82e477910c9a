-- PostgreSQL's spelling of ../0011_cache_versions.sql: a version per group of tables kept in memory,
-- bumped by a trigger on every change to one of them (once per statement), whoever makes it.
CREATE TABLE cache_versions (
    name TEXT COLLATE "C" PRIMARY KEY,
    version BIGINT NOT NULL DEFAULT 0
);

INSERT INTO cache_versions (name) VALUES ('exhibitors'), ('participants'), ('programme'), ('followers'), ('blocked_slots');

-- Every process that keeps copies listens on maillage_cache (storage/postgres.py): the notice, sent at
-- COMMIT, names the schema, the group and its new version.
CREATE FUNCTION bump_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bumped BIGINT;
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = TG_ARGV[0] RETURNING version INTO bumped;
    PERFORM pg_notify('maillage_cache', current_schema() || ' ' || TG_ARGV[0] || ' ' || bumped);
    RETURN NULL;
END;
$$;

CREATE TRIGGER exhibitors_version AFTER INSERT OR UPDATE OR DELETE ON exhibitors
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('exhibitors');
CREATE TRIGGER exhibitor_themes_version AFTER INSERT OR UPDATE OR DELETE ON exhibitor_themes
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('exhibitors');
CREATE TRIGGER participants_version AFTER INSERT OR UPDATE OR DELETE ON participants
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('participants');
CREATE TRIGGER participant_themes_version AFTER INSERT OR UPDATE OR DELETE ON participant_themes
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('participants');
CREATE TRIGGER session_changes_version AFTER INSERT OR UPDATE OR DELETE ON session_changes
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('programme');
CREATE TRIGGER session_followers_version AFTER INSERT OR UPDATE OR DELETE ON session_followers
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('followers');
CREATE TRIGGER blocked_slots_version AFTER INSERT OR UPDATE OR DELETE ON blocked_slots
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('blocked_slots');
