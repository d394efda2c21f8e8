package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// sentCommand is one chatbot create of a load and what it got.
type sentCommand struct {
	name string
	sent time.Time
	answer
	id string // of the created chatbot, on a 201
}

// createLoad creates chatbots of one company from several workers, one
// request after another each, until stopped: steady traffic through the
// whole command path (token, decision, append, idempotency-free answer).
type createLoad struct {
	base, company, token string
	stop                 chan struct{}
	wg                   sync.WaitGroup
	mu                   sync.Mutex
	sent                 []sentCommand
}

func startCreateLoad(base, company, token string, workers int, pause time.Duration) *createLoad {
	l := &createLoad{base: base, company: company, token: token, stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.one(fmt.Sprintf("load-%d-%d", w, i))
				time.Sleep(pause)
			}
		}()
	}
	return l
}

func (l *createLoad) one(name string) {
	c := sentCommand{name: name, sent: time.Now()}
	c.answer = send("POST", l.base+"/v1/companies/"+l.company+"/chatbots", map[string]string{"name": name},
		"Authorization", "Bearer "+l.token)
	if c.status == 201 {
		var body struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(c.body), &body); err != nil {
			c.err = fmt.Errorf("a 201 that is not JSON: %w", err)
		}
		c.id = body.ID
	}
	l.mu.Lock()
	l.sent = append(l.sent, c)
	l.mu.Unlock()
}

// end stops the load and returns every command it sent.
func (l *createLoad) end() []sentCommand {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent
}

// acked are the commands that answered 201, by chatbot id.
func acked(sent []sentCommand) map[string]string {
	out := map[string]string{}
	for _, c := range sent {
		if c.status == 201 && c.id != "" {
			out[c.id] = c.name
		}
	}
	return out
}

// createdInStream counts the ChatbotCreated events of tenant, by chatbot id.
func createdInStream(t *testing.T, js jetstream.JetStream, tenant string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, env := range storedEvents(t, js, events.AggregateFilter(tenant, events.AggregateChatbot, "*")) {
		if env.Type == events.ChatbotCreated {
			out[env.AggregateID]++
		}
	}
	return out
}

// chatbotRows counts the read model's rows of tenant, by chatbot id.
func chatbotRows(t *testing.T, pool *pgxpool.Pool, tenant string) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT id::text FROM rm_chatbots_v1 WHERE tenant_id = $1", tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// lostAndDuplicated compares the acknowledged ids with a count of what a
// store holds.
func lostAndDuplicated(ack map[string]string, held map[string]int) (lost, duplicated int) {
	for id := range ack {
		if held[id] == 0 {
			lost++
		}
	}
	for _, n := range held {
		if n > 1 {
			duplicated += n - 1
		}
	}
	return lost, duplicated
}

// settled waits until the read model holds every acknowledged chatbot (or
// the time runs out) and returns its rows then.
func settled(t *testing.T, pool *pgxpool.Pool, tenant string, ack map[string]string, within time.Duration) map[string]int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rows := chatbotRows(t, pool, tenant)
		if lost, _ := lostAndDuplicated(ack, rows); lost == 0 || time.Now().After(deadline) {
			return rows
		}
		time.Sleep(200 * time.Millisecond)
	}
}
