-- Notices to anyone but the person who acted leave through the outbox too, whichever process
-- handled the action: in order within each chat, ahead of announcements, with their buttons, their
-- calendar file, or as the rewrite of the request copies a representative was sent earlier.
ALTER TABLE deliveries ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;  -- 0: a notice, 1: an announcement
ALTER TABLE deliveries ADD COLUMN buttons TEXT;                          -- the inline keyboard, as JSON
ALTER TABLE deliveries ADD COLUMN document TEXT;                         -- a calendar file, the text its caption
ALTER TABLE deliveries ADD COLUMN document_name TEXT;
ALTER TABLE deliveries ADD COLUMN copy_of INTEGER;          -- a request copy: its message id is kept, once sent
ALTER TABLE deliveries ADD COLUMN rewrites_copies_of INTEGER;  -- the text replaces the copies of that request
UPDATE deliveries SET priority = 0 WHERE broadcast_id IN (SELECT id FROM broadcasts WHERE kind = 'notice');
CREATE INDEX deliveries_in_chat ON deliveries (chat_id, id) WHERE state IN ('pending', 'claimed');
CREATE INDEX deliveries_next ON deliveries (state, priority, not_before, id);
