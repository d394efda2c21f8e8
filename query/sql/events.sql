-- GET /v1/admin/events: the conditions and the order follow, built from
-- the filters given.
SELECT position, event_id::text, type, version, occurred_at, tenant_id, aggregate_type,
	aggregate_id, aggregate_version, actor_type, coalesce(actor_id, ''), coalesce(correlation_id, ''),
	coalesce(causation_id, ''), data
FROM {event_log}
WHERE
