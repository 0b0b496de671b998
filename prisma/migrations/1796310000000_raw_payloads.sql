-- Up Migration
-- Raw payloads (the svix client's messageInRaw: transformationsParams.rawPayload). Such a
-- message's payload_enc holds the producer's bytes as given, and this column the Content-Type
-- they are sent with; NULL for the JSON payloads Herald serialises itself (application/json).
ALTER TABLE messages ADD COLUMN raw_content_type text;

-- Down Migration
ALTER TABLE messages DROP COLUMN raw_content_type;
