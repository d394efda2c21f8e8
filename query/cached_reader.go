package query

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/readmodel/cache"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// CachedReader is a Reader in front of another, through the query cache.
// An entry is served only to its own tenant, and only when it reflects
// the read's min; anything else (a miss, Redis down) is the inner
// reader's answer, which then fills the cache.
type CachedReader struct {
	inner   Reader
	cache   *cache.Cache
	policy  *policy.Holder
	decoded *decodedValues
}

// NewCachedReader wraps inner. The configuration in force is part of the
// keys of what it shapes (effective limits), so a change of it is a new
// key.
func NewCachedReader(inner Reader, c *cache.Cache, p *policy.Holder) *CachedReader {
	if p == nil {
		p = policy.NewHolder(policy.Default())
	}
	return &CachedReader{inner: inner, cache: c, policy: p, decoded: &decodedValues{m: map[string]decodedValue{}}}
}

// cachedRead serves spec from the cache when it can, else load's answer,
// which it files.
func cachedRead[T any](ctx context.Context, r *CachedReader, min uint64, spec cache.Spec, load func() (Read[T], error)) (Read[T], error) {
	c := r.cache
	key, e, hit := c.Lookup(ctx, spec, min)
	if hit {
		if v, ok := r.decoded.get(key, e.JSON).(T); ok {
			return Read[T]{Value: v, ETag: e.ETag, Through: e.Through, json: e.JSON}, nil
		}
		var v T
		if err := json.Unmarshal(e.JSON, &v); err == nil {
			r.decoded.put(key, e.JSON, v)
			return Read[T]{Value: v, ETag: e.ETag, Through: e.Through, json: e.JSON}, nil
		}
	}
	read, err := load()
	if err != nil {
		return read, err
	}
	c.Fill(ctx, key, cache.Entry{Tenant: spec.Tenant, Through: read.Through, ETag: read.ETag, JSON: read.json})
	return read, nil
}

// spec keys a read of tenant's rows of the projections (each with its
// table, whose suffix is the read model's version).
func spec(tenant string, projections []readmodel.Name, tables []string, parts ...string) cache.Spec {
	s := cache.Spec{Tenant: tenant, Parts: parts}
	versions := make([]string, len(tables))
	for i, t := range tables {
		versions[i] = t[strings.LastIndexByte(t, '_')+1:]
	}
	s.Version = strings.Join(versions, ".")
	for _, p := range projections {
		s.Projections = append(s.Projections, string(p))
	}
	return s
}

// configPart names the configuration in force, for reads it shapes.
func (r *CachedReader) configPart() string { return "c" + strconv.FormatUint(r.policy.Position(), 10) }

func pagePart(p Page) []string { return []string{p.After, strconv.Itoa(p.Limit)} }

var (
	usersOnly        = []readmodel.Name{readmodel.Users}
	usersTables      = []string{readmodel.UsersTable}
	companiesOnly    = []readmodel.Name{readmodel.Companies}
	companiesTables  = []string{readmodel.CompaniesTable}
	chatbotsCompany  = []readmodel.Name{readmodel.Chatbots, readmodel.Companies}
	chatbotsTables   = []string{readmodel.ChatbotsTable, readmodel.CompaniesTable}
	keysOfChatbot    = []readmodel.Name{readmodel.APIKeys, readmodel.Chatbots}
	keysOfChatbotTbl = []string{readmodel.APIKeysTable, readmodel.ChatbotsTable}
)

func (r *CachedReader) Me(ctx context.Context, min uint64, tenant, userID string) (Read[Me], error) {
	return cachedRead(ctx, r, min, spec(tenant, usersOnly, usersTables, "me", userID), func() (Read[Me], error) {
		return r.inner.Me(ctx, min, tenant, userID)
	})
}

func (r *CachedReader) Company(ctx context.Context, min uint64, tenant string) (Read[Company], error) {
	return cachedRead(ctx, r, min, spec(tenant, companiesOnly, companiesTables, "company", r.configPart()), func() (Read[Company], error) {
		return r.inner.Company(ctx, min, tenant)
	})
}

func (r *CachedReader) Chatbot(ctx context.Context, min uint64, tenant, id string) (Read[Chatbot], error) {
	return cachedRead(ctx, r, min, spec(tenant, chatbotsCompany, chatbotsTables, "chatbot", id, r.configPart()), func() (Read[Chatbot], error) {
		return r.inner.Chatbot(ctx, min, tenant, id)
	})
}

func (r *CachedReader) Members(ctx context.Context, min uint64, tenant string, p Page) (Read[List[Member]], error) {
	s := spec(tenant, usersOnly, usersTables, append([]string{"members"}, pagePart(p)...)...)
	return cachedRead(ctx, r, min, s, func() (Read[List[Member]], error) { return r.inner.Members(ctx, min, tenant, p) })
}

func (r *CachedReader) Chatbots(ctx context.Context, min uint64, tenant string, p Page) (Read[List[Chatbot]], error) {
	s := spec(tenant, chatbotsCompany, chatbotsTables, append([]string{"chatbots", r.configPart()}, pagePart(p)...)...)
	return cachedRead(ctx, r, min, s, func() (Read[List[Chatbot]], error) { return r.inner.Chatbots(ctx, min, tenant, p) })
}

func (r *CachedReader) APIKeys(ctx context.Context, min uint64, tenant, chatbotID string, p Page) (Read[List[APIKey]], error) {
	s := spec(tenant, keysOfChatbot, keysOfChatbotTbl, append([]string{"api_keys", chatbotID}, pagePart(p)...)...)
	return cachedRead(ctx, r, min, s, func() (Read[List[APIKey]], error) { return r.inner.APIKeys(ctx, min, tenant, chatbotID, p) })
}

// decodedValues keeps the values of the entries this process served last,
// decoded once: a hit whose entry (same key, same JSON) is here skips
// decoding it. The values are shared by the reads that get them; reads
// never change what they answer.
type decodedValues struct {
	mu sync.RWMutex
	m  map[string]decodedValue
}

type decodedValue struct {
	json []byte
	v    any
}

// decodedMax bounds how many values are kept.
const decodedMax = 4096

func (d *decodedValues) get(key string, js []byte) any {
	d.mu.RLock()
	dv, ok := d.m[key]
	d.mu.RUnlock()
	if !ok || !bytes.Equal(dv.json, js) {
		return nil
	}
	return dv.v
}

func (d *decodedValues) put(key string, js []byte, v any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) >= decodedMax {
		for k := range d.m { // the map's order is random: one out, whichever
			delete(d.m, k)
			break
		}
	}
	d.m[key] = decodedValue{json: bytes.Clone(js), v: v}
}
