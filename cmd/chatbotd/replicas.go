package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/postgres"
)

// replicaStartWait is how long a replica may take to answer at start: a
// database the primary has just created reaches it with the WAL.
const replicaStartWait = 15 * time.Second

// openReplicas routes the query side's reads: to the read replicas of
// QUERY_DATABASE_URL, else to the primary. close closes their pools.
func openReplicas(ctx context.Context, rt *runtime, cfg config.Config, f *readmodel.Follower) (*readmodel.Replicas, func(), error) {
	var pools []*pgxpool.Pool
	closeAll := func() {
		for _, p := range pools {
			p.Close()
		}
	}
	for i, url := range cfg.Scale.QueryDatabaseURLs {
		p, err := openReplica(ctx, url, cfg.DatabaseMaxConns)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("read replica %d of QUERY_DATABASE_URL: %v", i+1, err)
		}
		pools = append(pools, p)
	}
	if len(pools) > 0 {
		rt.log.Info("query reads go to read replicas", "replicas", len(pools))
	}
	return readmodel.NewReplicas(rt.pool, pools, f, rt.log), closeAll, nil
}

func openReplica(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	deadline := time.Now().Add(replicaStartWait)
	for {
		p, err := postgres.Open(ctx, url, maxConns, false)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return p, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}
