-- The audit log read model: one row per event, as stored, with its stream
-- position. Owned by the event_log projection.
CREATE TABLE rm_event_log_v1 (
    tenant_id          text        NOT NULL,
    position           bigint      NOT NULL,
    event_id           uuid        NOT NULL,
    type               text        NOT NULL,
    version            integer     NOT NULL,
    occurred_at        timestamptz NOT NULL,
    aggregate_type     text        NOT NULL,
    aggregate_id       text        NOT NULL,
    aggregate_version  bigint      NOT NULL,
    actor_type         text        NOT NULL,
    actor_id           text,
    correlation_id     text,
    causation_id       text,
    data               jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, position)
);

CREATE UNIQUE INDEX rm_event_log_v1_position ON rm_event_log_v1 (position);
CREATE UNIQUE INDEX rm_event_log_v1_event_id ON rm_event_log_v1 (event_id);
CREATE INDEX rm_event_log_v1_type ON rm_event_log_v1 (type, position);
CREATE INDEX rm_event_log_v1_aggregate ON rm_event_log_v1 (aggregate_type, aggregate_id, position);
CREATE INDEX rm_event_log_v1_actor ON rm_event_log_v1 (actor_id, position) WHERE actor_id IS NOT NULL;
CREATE INDEX rm_event_log_v1_occurred ON rm_event_log_v1 (occurred_at);
