package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// The test binary is also each node of the NATS cluster (a process of its
// own, so that one can be SIGKILLed).
func init() { natsx.ServeNodeIfAsked() }

// testCluster starts a 3-node NATS cluster with the product's users and
// returns it with chatbotd's settings for it (replicas 3).
func testCluster(t *testing.T) (*natsx.Cluster, map[string]string, *nats.Conn) {
	t.Helper()
	dir := t.TempDir()
	users, err := natsx.EmbeddedUsers(dir, protectedConsumers())
	if err != nil {
		t.Fatal(err)
	}
	logs := make([]*syncBuffer, 3)
	cl, err := natsx.StartCluster(natsx.ClusterOptions{Dir: dir, Sync: "always", Users: users, Exe: os.Args[0],
		Out: func(i int) io.Writer {
			if logs[i] == nil {
				logs[i] = &syncBuffer{}
			}
			return logs[i]
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cl.Close()
		if t.Failed() {
			for i, l := range logs {
				t.Logf("NATS node %s:\n%s", cl.Name(i), l.String())
			}
		}
	})
	nc, err := nats.Connect(cl.URL(), nats.UserInfo(users.Service.User, users.Service.Password),
		nats.CustomInboxPrefix(natsx.ServiceInboxPrefix), nats.MaxReconnects(-1), nats.ReconnectWait(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return cl, map[string]string{
		"NATS_URL": cl.URL(), "NATS_USER": users.Service.User, "NATS_PASSWORD_FILE": filepath.Join(dir, natsx.ServicePasswordFile),
		"NATS_REPLICAS": "3", "LOG_LEVEL": "warn", "REQUEST_TIMEOUT": "5s", "BCRYPT_COST": "10",
	}, nc
}

// created is one create-chatbot command that was answered 201.
type created struct {
	id       string
	process  int
	at       time.Time
	position uint64
}

// commandLoad sends create-chatbot commands from workers to the processes
// in turn until stop, keeping those answered 201 and counting the others
// by status.
type commandLoad struct {
	mu     sync.Mutex
	done   []created
	others map[string]int
	wg     sync.WaitGroup
	stop   chan struct{}
}

func startCommandLoad(bases []string, path, token string, workers int) *commandLoad {
	l := &commandLoad{others: map[string]int{}, stop: make(chan struct{})}
	client := &http.Client{Timeout: 20 * time.Second}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; ; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				p := (w + n) % len(bases)
				l.one(client, p, bases[p]+path, token, fmt.Sprintf("bot %d-%d", w, n))
			}
		}()
	}
	return l
}

func (l *commandLoad) one(client *http.Client, p int, url, token, name string) {
	req, err := http.NewRequest("POST", url, strings.NewReader(`{"name":"`+name+`"}`))
	if err != nil {
		l.count("request not built: " + err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		l.count("transport error")
		time.Sleep(50 * time.Millisecond)
		return
	}
	b, err := io.ReadAll(res.Body)
	if cerr := res.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		l.count("answer not read")
		return
	}
	if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "" {
		l.count("503 without Retry-After")
		return
	}
	if res.StatusCode != http.StatusCreated {
		l.count(strconv.Itoa(res.StatusCode))
		time.Sleep(50 * time.Millisecond)
		return
	}
	var body struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		l.count("201 that is not JSON")
		return
	}
	pos, err := strconv.ParseUint(res.Header.Get("X-Event-Position"), 10, 64)
	if err != nil {
		l.count("201 without X-Event-Position")
		return
	}
	id := body.ID
	l.mu.Lock()
	l.done = append(l.done, created{id: id, process: p, at: time.Now(), position: pos})
	l.mu.Unlock()
}

func (l *commandLoad) count(what string) {
	l.mu.Lock()
	l.others[what]++
	l.mu.Unlock()
}

// since counts the creates process p had answered 201 after t.
func (l *commandLoad) since(t time.Time, p int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.done {
		if c.at.After(t) && c.process == p {
			n++
		}
	}
	return n
}

func (l *commandLoad) end() ([]created, map[string]int) {
	close(l.stop)
	l.wg.Wait()
	return l.done, l.others
}

// streamLeader is the server name of the EVENTS stream's leader.
func streamLeader(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if s.CachedInfo().Cluster == nil || s.CachedInfo().Cluster.Leader == "" {
		t.Fatalf("EVENTS has no leader: %+v", s.CachedInfo().Cluster)
	}
	return s.CachedInfo().Cluster.Leader
}
