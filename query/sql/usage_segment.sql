-- One segment of a usage report: the rows of one table in [lo, hi); the
-- table, its period column and the bounds' parameters are filled in.
SELECT {column} AS t, requests, units FROM {table}
WHERE tenant_id = $1 AND ($2 = '' OR chatbot_id::text = $2) AND ($3 = '' OR api_key_id::text = $3)
	AND {column} >= {lo} AND {column} < {hi}
