package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// commandWorkers is the closed loop of the command scenarios, the figure
// PERFORMANCE.md's simple-command target is stated with.
const commandWorkers = 16

// commandTarget is a company manager's session on a running chatbotd and
// the create-chatbot request it sends.
type commandTarget struct {
	p      *product
	url    string
	bearer string
	body   []byte
	client *http.Client
}

// startCommandTarget starts chatbotd, signs up a company and logs its
// manager in.
func startCommandTarget(ctx context.Context) (*commandTarget, error) {
	p, err := startProduct(ctx)
	if err != nil {
		return nil, err
	}
	token, company, err := p.companyManager("command@example.com")
	if err != nil {
		p.Close()
		return nil, err
	}
	body, _ := json.Marshal(map[string]any{"name": "Bench", "description": strings.Repeat("d", 100),
		"settings": map[string]any{"fallback_reply": "Sorry?", "replies": []map[string]any{{"keywords": []string{"price"}, "reply": "10 EUR"}}}})
	return &commandTarget{p: p, url: p.base + "/v1/companies/" + company + "/chatbots", bearer: "Bearer " + token, body: body,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}}}, nil
}

// create sends one create-chatbot command and tells whether it was done.
func (t *commandTarget) create(int) bool {
	req, _ := http.NewRequest("POST", t.url, bytes.NewReader(t.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", t.bearer)
	res, err := t.client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode == http.StatusCreated
}

// rawPublisher publishes to a stream of its own on chatbotd's embedded
// server (same store, same sync_interval): the command's ceiling.
type rawPublisher struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	body []byte
	last []uint64
}

const rawStream = "BENCH_CEILING"

func newRawPublisher(ctx context.Context, p *product, workers int) (*rawPublisher, error) {
	nc, err := connectEmbedded(p.dir)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: rawStream, Subjects: []string{"bench.ceiling.>"}, Storage: jetstream.FileStorage}); err != nil {
		nc.Close()
		return nil, err
	}
	body, _ := json.Marshal(events.Envelope{ID: uuid.NewString(), Type: "ChatbotCreated", Version: 1, TenantID: uuid.NewString(),
		AggregateType: "chatbot", AggregateID: uuid.NewString(), Actor: events.System, Data: mustJSON(benchPayload)})
	return &rawPublisher{nc: nc, js: js, body: body, last: make([]uint64, workers)}, nil
}

// publish is one sync publish carrying the expected last sequence of the
// worker's subject, as the event store's append does.
func (r *rawPublisher) publish(w int) bool {
	subject := fmt.Sprintf("bench.ceiling.%d.created", w)
	msg := nats.NewMsg(subject)
	msg.Data = r.body
	msg.Header.Set(jetstream.MsgIDHeader, uuid.NewString())
	msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(r.last[w], 10))
	msg.Header.Set(jetstream.ExpectedLastSubjSeqSubjHeader, fmt.Sprintf("bench.ceiling.%d.>", w))
	ack, err := r.js.PublishMsg(context.Background(), msg)
	if err != nil {
		return false
	}
	r.last[w] = ack.Sequence
	return true
}

func (r *rawPublisher) Close() {
	_ = r.js.DeleteStream(context.Background(), rawStream)
	r.nc.Close()
}

// benchSimpleCommand compares creating chatbots through HTTP (edge, guard,
// idempotency middleware, decoding, the company check, the append, the
// answer) with a raw sync publish with the expected subject sequence on the
// same embedded server, in the same run.
func benchSimpleCommand(cfg runConfig) (Result, error) {
	ctx := context.Background()
	t, err := startCommandTarget(ctx)
	if err != nil {
		return Result{}, err
	}
	defer t.p.Close()
	raw, err := newRawPublisher(ctx, t.p, commandWorkers)
	if err != nil {
		return Result{}, err
	}
	defer raw.Close()
	if !t.create(0) {
		return Result{}, fmt.Errorf("create chatbot refused")
	}
	interleaved(commandWorkers, time.Second, 1, raw.publish, t.create) // warm up
	loads := interleaved(commandWorkers, cfg.duration/4, 4, raw.publish, t.create)
	base, load := loads[0], loads[1]
	// The slices alternate with raw publishes on the same server: the
	// CPU of creates alone is taken in a slice of its own.
	tr := t.p.track()
	alone := closedLoopFn(commandWorkers, max(cfg.duration/4, time.Second), t.create)
	cpu, peak := tr.finish(alone.Requests)
	return Result{
		Name: "POST /v1/companies/{cid}/chatbots", Ceiling: "JetStream sync publish with expected subject sequence, same server",
		Target: 0.4, Ratio: load.Rate / base.Rate, Load: load, Base: base, CPUmsPerOp: cpu, RSSPeakMB: peak,
		Note: fmt.Sprintf("%d workers, sync_interval always, 4 alternating slices each; the create appends one event and reads nothing from the stream once the company is known; "+
			"raw %s; create %s, %d errors", commandWorkers, figures(base, base), figures(load, base), load.Errors),
	}, nil
}

// connectEmbedded connects, as chatbotd's service user, to the embedded
// server of a chatbotd running under dir.
func connectEmbedded(dir string) (*nats.Conn, error) {
	url := natsx.ReadAddrFile(dir)
	if url == "" {
		return nil, fmt.Errorf("chatbotd wrote no %s", natsx.AddrFile)
	}
	pw, err := os.ReadFile(filepath.Join(dir, natsx.ServicePasswordFile))
	if err != nil {
		return nil, err
	}
	return nats.Connect(url, nats.UserInfo(natsx.ServiceUser, strings.TrimSpace(string(pw))), nats.CustomInboxPrefix(natsx.ServiceInboxPrefix))
}
