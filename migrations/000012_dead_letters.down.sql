DROP INDEX IF EXISTS dead_letters_id;
ALTER TABLE dead_letters
    DROP CONSTRAINT IF EXISTS dead_letters_resolved,
    DROP COLUMN id,
    DROP COLUMN kind,
    DROP COLUMN resolution,
    DROP COLUMN resolved_by_type,
    DROP COLUMN resolved_by,
    DROP COLUMN last_tried_at,
    DROP COLUMN headers;
ALTER TABLE dead_letters RENAME COLUMN seq TO id;
