-- "I'll be 5 minutes late" is said once per meeting and side.
ALTER TABLE meetings ADD COLUMN late_attendee_at TEXT;
ALTER TABLE meetings ADD COLUMN late_exhibitor_at TEXT;
