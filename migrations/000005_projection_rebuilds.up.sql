-- Rebuilds of a projection while it keeps serving: a request is recorded on
-- the projection's row; its leader builds the read model again from the
-- stream into a shadow schema beside the live tables, then swaps them in
-- one short transaction.
ALTER TABLE projection_checkpoints
    ADD COLUMN rebuild_requested_at timestamptz,
    ADD COLUMN rebuild_started_at   timestamptz,
    ADD COLUMN rebuild_position     bigint,
    ADD COLUMN rebuilt_at           timestamptz,
    ADD COLUMN rebuild_error        text;
