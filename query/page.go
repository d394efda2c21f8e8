package query

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// errBadCursor answers a cursor this API did not give.
var errBadCursor = apperr.Invalid("the cursor is not one this API gave")

// afterID decodes an id cursor; no cursor starts before every id.
func afterID(cursor string) (string, error) {
	if cursor == "" {
		return uuid.Nil.String(), nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if _, perr := uuid.Parse(string(b)); err != nil || perr != nil {
		return "", errBadCursor
	}
	return string(b), nil
}

// idCursor is the cursor that continues after id.
func idCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// collectPage is the one skeleton of every paged list: rows fetched with
// limit+1 (err is the query's), each scanned, trimmed to limit, with the
// cursor of the next page when there is one. Items is never nil, so an
// empty page answers [] rather than null.
func collectPage[T any](rows pgx.Rows, err error, limit int, scan func(pgx.CollectableRow) (T, error), cursor func(T) string) (List[T], error) {
	if err != nil {
		return List[T]{}, err
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return List[T]{}, err
	}
	l := List[T]{Items: items}
	if len(items) > limit {
		l.Items = items[:limit]
		c := cursor(l.Items[limit-1])
		l.NextCursor = &c
	}
	if l.Items == nil {
		l.Items = []T{}
	}
	return l, nil
}

// filters builds a WHERE clause with numbered parameters.
type filters struct {
	where []string
	args  []any
}

// add appends a condition whose ? stands for v.
func (f *filters) add(cond string, v any) {
	f.args = append(f.args, v)
	f.where = append(f.where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(f.args))))
}

// sql is the conditions, the order and a limit, with their arguments.
func (f *filters) sql(orderBy string, limit int) (string, []any) {
	args := append(f.args, limit)
	return strings.Join(f.where, " AND ") + " ORDER BY " + orderBy + " LIMIT $" + strconv.Itoa(len(args)), args
}
