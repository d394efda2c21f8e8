package taskrouter

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EffectsTable records the effects tasks have had, one row per task and
// message, so that a message delivered twice has its effect once.
const EffectsTable = "task_effects"

// Once has effect happen once for the task and key (a message's
// EffectKey): the key is claimed in the transaction effect runs in, and
// committed with it. A second delivery of the same message waits for the
// first's transaction, then finds the key and does nothing; a failed
// effect rolls the claim back, so the retry does it. An effect outside
// the database (a mail) commits right after it is done: only a crash in
// between can repeat it.
func Once(ctx context.Context, pool *pgxpool.Pool, task, key string, effect func(context.Context, pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO `+EffectsTable+` (task, key) VALUES ($1, $2) ON CONFLICT DO NOTHING`, task, key)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return effect(ctx, tx)
	})
}
