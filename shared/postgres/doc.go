// Package postgres opens the pgx connection pool, creates the database on a
// development machine when asked, checks its health and applies the
// embedded migrations.
package postgres
