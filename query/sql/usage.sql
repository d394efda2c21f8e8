-- GET /v1/companies/{cid}/usage: the segments' rows summed per period.
SELECT date_trunc($4, t, 'UTC') AS period, sum(requests)::bigint, sum(units)::bigint
FROM ({segments}) u
GROUP BY period
ORDER BY period
