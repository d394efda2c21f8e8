// Package migrations embeds the SQL migrations so the binary carries its
// own schema. Files are numbered NNNNNN_name.up.sql / .down.sql; an applied
// file is never edited, a change is a new file.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
