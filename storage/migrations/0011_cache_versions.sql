-- A version per group of tables that the bot keeps in memory (storage/cache.py). Every change to
-- one of these tables bumps its group's version in the same transaction, whoever makes it (the bot,
-- the command line in another process), so a cached copy is reloaded as soon as it is out of date.
CREATE TABLE cache_versions (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 0
);

INSERT INTO cache_versions (name) VALUES ('exhibitors'), ('participants'), ('programme'), ('followers'), ('blocked_slots');

CREATE TRIGGER exhibitors_insert_version AFTER INSERT ON exhibitors
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'exhibitors';
END;

CREATE TRIGGER exhibitors_update_version AFTER UPDATE ON exhibitors
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'exhibitors';
END;

CREATE TRIGGER exhibitors_delete_version AFTER DELETE ON exhibitors
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'exhibitors';
END;

CREATE TRIGGER exhibitor_themes_insert_version AFTER INSERT ON exhibitor_themes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'exhibitors';
END;

CREATE TRIGGER exhibitor_themes_update_version AFTER UPDATE ON exhibitor_themes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'exhibitors';
END;

CREATE TRIGGER exhibitor_themes_delete_version AFTER DELETE ON exhibitor_themes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'exhibitors';
END;

CREATE TRIGGER participants_insert_version AFTER INSERT ON participants
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'participants';
END;

CREATE TRIGGER participants_update_version AFTER UPDATE ON participants
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'participants';
END;

CREATE TRIGGER participants_delete_version AFTER DELETE ON participants
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'participants';
END;

CREATE TRIGGER participant_themes_insert_version AFTER INSERT ON participant_themes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'participants';
END;

CREATE TRIGGER participant_themes_update_version AFTER UPDATE ON participant_themes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'participants';
END;

CREATE TRIGGER participant_themes_delete_version AFTER DELETE ON participant_themes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'participants';
END;

CREATE TRIGGER session_changes_insert_version AFTER INSERT ON session_changes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'programme';
END;

CREATE TRIGGER session_changes_update_version AFTER UPDATE ON session_changes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'programme';
END;

CREATE TRIGGER session_changes_delete_version AFTER DELETE ON session_changes
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'programme';
END;

CREATE TRIGGER session_followers_insert_version AFTER INSERT ON session_followers
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'followers';
END;

CREATE TRIGGER session_followers_update_version AFTER UPDATE ON session_followers
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'followers';
END;

CREATE TRIGGER session_followers_delete_version AFTER DELETE ON session_followers
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'followers';
END;

CREATE TRIGGER blocked_slots_insert_version AFTER INSERT ON blocked_slots
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'blocked_slots';
END;

CREATE TRIGGER blocked_slots_update_version AFTER UPDATE ON blocked_slots
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'blocked_slots';
END;

CREATE TRIGGER blocked_slots_delete_version AFTER DELETE ON blocked_slots
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'blocked_slots';
END;
