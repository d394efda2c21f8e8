-- Platform tables owned by the projector framework.

-- One row per projection: the last stream sequence whose effects are
-- committed in the read model. Moved in the same transaction as the
-- read-model changes of a batch.
CREATE TABLE projection_checkpoints (
    name        text        PRIMARY KEY,
    position    bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Events a projection could not apply after its retries: parked here,
-- counted in a metric and listed by the admin API, never skipped silently.
CREATE TABLE dead_letters (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    projection    text        NOT NULL,
    position      bigint      NOT NULL,
    event_id      uuid,
    event_type    text        NOT NULL,
    subject       text        NOT NULL,
    tenant_id     text        NOT NULL,
    payload       bytea       NOT NULL,
    error         text        NOT NULL,
    attempts      integer     NOT NULL CHECK (attempts > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz,
    UNIQUE (projection, position)
);

CREATE INDEX dead_letters_open ON dead_letters (projection, position) WHERE resolved_at IS NULL;
