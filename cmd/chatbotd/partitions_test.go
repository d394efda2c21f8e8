package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// usageEnds is, for each of n partitions, the position of the last usage
// event of its tenants, read from the stream itself.
func usageEnds(t *testing.T, js jetstream.JetStream, n int) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.TypeFilter(events.UsageRecorded)}, HeadersOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ends := make([]uint64, n)
	for {
		batch, err := cons.FetchNoWait(1000)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			ends[events.TenantPartition(events.SubjectTenant(m.Subject()), n)] = md.Sequence.Stream
			got++
		}
		if got == 0 {
			return ends
		}
	}
}

// checkpointOf reads one checkpoint row; 0 before its first batch.
func checkpointOf(t *testing.T, pool *pgxpool.Pool, name string) uint64 {
	t.Helper()
	var pos int64
	err := pool.QueryRow(context.Background(), "SELECT position FROM projection_checkpoints WHERE name = $1", name).Scan(&pos)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("read the checkpoint of %s: %v", name, err)
	}
	return uint64(pos)
}

// partitionsLed counts the usage partitions whose lock the process
// connecting as application app holds.
func partitionsLed(t *testing.T, pool *pgxpool.Pool, app string) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM projection_checkpoints c WHERE c.name LIKE 'usage\_%of4' AND EXISTS (
		SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND a.application_name = $1
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('projection:' || c.name, 0))`, app).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// usageReport is every row of the usage read models, in order.
func usageReport(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT tenant_id, chatbot_id, api_key_id, hour, requests, units, last_used_at, position FROM " + projector.UsageHourlyTable + " ORDER BY 1, 2, 3, 4",
		"SELECT tenant_id, chatbot_id, api_key_id, day, requests, units, position FROM " + projector.UsageDailyTable + " ORDER BY 1, 2, 3, 4",
		"SELECT tenant_id, chatbot_id, api_key_id, month, requests, units, position FROM " + projector.UsageMonthlyTable + " ORDER BY 1, 2, 3, 4",
	} {
		rows, err := pool.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, v...)
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
	}
	return b.String()
}

// Usage partitioned in 4 by tenant over two projector processes makes the
// same read model as one consumer, and a partition's process killed
// midway hands its partitions to the other.
func TestUsageInFourPartitionsOverTwoProjectorsMatchesOneConsumerAndSurvivesAKill(t *testing.T) {
	ctx := context.Background()
	nt := brokerChild(t, "2m")
	js, err := jetstream.New(nt.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := events.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := devseed.Events(ctx, js, devseed.EventsOptions{Events: 6_000, Tenants: 40}); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	settings := func(db *testkit.Database, app, partitions string) map[string]string {
		sep := "?"
		if strings.Contains(db.URL, "?") {
			sep = "&"
		}
		return map[string]string{"NATS_URL": nt.URL, "DATA_DIR": dataDir, "LOG_LEVEL": "info", "HTTP_ADDR": freeAddr(t),
			"DATABASE_URL": db.URL + sep + "application_name=" + app, "USAGE_PARTITIONS": partitions}
	}
	parted := testkit.NewEmptyDatabase(t)
	first := projectorProcess(t, settings(parted, "first", "4"))
	second := projectorProcess(t, settings(parted, "second", "4"))
	pool := parted.Pool
	waitFor(t, "the two processes share the partitions 2 and 2", 30*time.Second, func() bool {
		return partitionsLed(t, pool, "first") == 2 && partitionsLed(t, pool, "second") == 2
	})
	kill9(t, first) // no goodbye
	took := waitFor(t, "the survivor leads all four partitions", 15*time.Second, func() bool { return partitionsLed(t, pool, "second") == 4 })
	t.Logf("partitions taken over in %v", took)
	// More usage after the kill, for the survivor alone.
	if _, err := devseed.Events(ctx, js, devseed.EventsOptions{Events: 2_000, Tenants: 10, Force: true}); err != nil {
		t.Fatal(err)
	}
	ends := usageEnds(t, js, 4)
	waitFor(t, "every partition applies its tenants' usage", 60*time.Second, func() bool {
		for i, end := range ends {
			if checkpointOf(t, pool, projector.PartitionName("usage", i, 4)) < end {
				return false
			}
		}
		return true
	})

	cfg := config.Config{Scale: config.Scale{UsagePartitions: 4}}
	statuses, err := projector.NewProgress(pool, js, projections(cfg)).Statuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parts := 0
	for _, s := range statuses {
		if s.Of == "usage" {
			parts++
			if s.State != projector.StateRunning || s.Partitions != 4 {
				t.Errorf("partition %s: %+v", s.Name, s)
			}
		}
	}
	if parts != 4 {
		t.Errorf("projections status shows %d partitions of usage: %+v", parts, statuses)
	}

	// verify replays usage and compares it with what the partitions made,
	// each partition's rows at its own checkpoint.
	runner := projector.New(projector.Deps{Pool: pool, JS: js, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		projections(cfg), projector.Options{})
	v, err := runner.Verify(ctx, "usage", 5)
	if err != nil {
		t.Fatal(err)
	}
	if v.Differences != 0 || v.Events == 0 {
		t.Errorf("verify of the partitioned usage: %d rows differ after %d events: %+v", v.Differences, v.Events, v.Shown)
	}

	// The comparison run is another deployment on the same stream, whose
	// consumers have the same names: the partitioned one must be gone
	// before it starts, or the two would take each other's messages and
	// delete each other's consumers.
	kill9(t, second)
	single := testkit.NewEmptyDatabase(t)
	one := projectorProcess(t, settings(single, "single", "1"))
	last := max(ends[0], ends[1], ends[2], ends[3])
	logged := time.Now()
	waitFor(t, fmt.Sprintf("one consumer applies all the usage up to %d", last), 60*time.Second, func() bool {
		at := checkpointOf(t, single.Pool, "usage")
		if at < last && time.Since(logged) > 5*time.Second {
			t.Logf("the single consumer's checkpoint is at %d", at)
			logged = time.Now()
		}
		return at >= last
	})
	kill9(t, one)

	want, got := usageReport(t, single.Pool), usageReport(t, pool)
	if want == "" || strings.Count(want, "\n") < 100 {
		t.Fatalf("the single consumer's usage has %d rows", strings.Count(want, "\n"))
	}
	if got != want {
		t.Fatalf("four partitions made another usage read model than one consumer:\n%d rows against %d", strings.Count(got, "\n"), strings.Count(want, "\n"))
	}
}
