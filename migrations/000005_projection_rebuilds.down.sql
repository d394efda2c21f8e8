ALTER TABLE projection_checkpoints
    DROP COLUMN rebuild_requested_at,
    DROP COLUMN rebuild_started_at,
    DROP COLUMN rebuild_position,
    DROP COLUMN rebuilt_at,
    DROP COLUMN rebuild_error;
