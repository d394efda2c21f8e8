-- Dead letters an operator acts on: each has a public UUID (the API's id;
-- the identity column becomes seq, the order they were parked in), says
-- whether a projection or a task parked it, and how and by whom it was
-- resolved. The projection column names the consumer that parked it: a
-- projection, or a task's durable consumer. headers keeps a task message's
-- NATS headers (a timer's name the event that set it).
ALTER TABLE dead_letters RENAME COLUMN id TO seq;
ALTER TABLE dead_letters
    ADD COLUMN id               uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN kind             text NOT NULL DEFAULT 'projection' CHECK (kind IN ('projection', 'task')),
    ADD COLUMN resolution       text CHECK (resolution IN ('retried', 'discarded')),
    ADD COLUMN resolved_by_type text,
    ADD COLUMN resolved_by      text,
    ADD COLUMN last_tried_at    timestamptz,
    ADD COLUMN headers          jsonb,
    ADD CONSTRAINT dead_letters_resolved CHECK ((resolved_at IS NULL) = (resolution IS NULL));
CREATE UNIQUE INDEX dead_letters_id ON dead_letters (id);
