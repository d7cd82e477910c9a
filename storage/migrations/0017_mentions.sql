-- Privacy: every stored message remembers each person it names and what of theirs it shows (name,
-- organisation, the contact details they shared, a file named after them), so that /forget takes
-- each phrase out of the text and drops the attached file, whoever the message went to. It replaces
-- the single name a notice could remember (about_id, about_name).

CREATE TABLE delivery_mentions (
    delivery_id    INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,  -- whom it is about
    phrase         TEXT    NOT NULL,  -- as it stands in the text
    PRIMARY KEY (delivery_id, participant_id, phrase)
);
CREATE INDEX delivery_mentions_of ON delivery_mentions (participant_id);

INSERT INTO delivery_mentions (delivery_id, participant_id, phrase)
SELECT d.id, d.about_id, d.about_name FROM deliveries d
WHERE d.about_name IS NOT NULL AND d.about_name <> ''
  AND EXISTS (SELECT 1 FROM participants p WHERE p.id = d.about_id);

DROP INDEX deliveries_about;
ALTER TABLE deliveries DROP COLUMN about_id;
ALTER TABLE deliveries DROP COLUMN about_name;

-- An organiser who asked to be forgotten: the chat where an announcement's progress was shown goes too
UPDATE broadcasts SET progress_chat_id = NULL, progress_message_id = NULL
WHERE progress_chat_id IS NOT NULL
  AND progress_chat_id NOT IN (SELECT telegram_id FROM participants);
