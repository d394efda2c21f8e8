package bot

import (
	"container/list"
	"sync"

	"github.com/chatbotsaas/chatbot/command/eventstore"
)

// states keeps the folded state of the aggregates calls used last, at most
// size of them, with where in its history each is. A state in it is never
// changed, so readers share it unlocked. The directory's follower drops an
// aggregate's state when an event of it is applied; a state being loaded
// meanwhile is then not kept, as it may predate that event.
type states[T any] struct {
	mu      sync.Mutex
	size    int
	order   *list.List
	items   map[string]*list.Element
	loading map[string]*ticket
}

// ticket is one or more loads of an aggregate under way; stale once an
// event of the aggregate was applied after they began.
type ticket struct {
	loads int
	stale bool
}

type stateAt[T any] struct {
	key   string
	state *T
	at    eventstore.Loaded
}

func newStates[T any](size int) *states[T] {
	return &states[T]{size: max(size, 1), order: list.New(), items: map[string]*list.Element{}, loading: map[string]*ticket{}}
}

// begin marks a load of key under way; end it with finish.
func (c *states[T]) begin(key string) *ticket {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.loading[key]
	if !ok {
		t = &ticket{}
		c.loading[key] = t
	}
	t.loads++
	return t
}

// finish ends a load, keeping its state (when not nil) unless an event of
// the aggregate was applied since it began.
func (c *states[T]) finish(key string, t *ticket, state *T, at eventstore.Loaded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.loads--; t.loads == 0 {
		delete(c.loading, key)
	}
	if state != nil && !t.stale {
		c.keep(key, state, at)
	}
}

// invalidate drops key's state: an event of it was applied.
func (c *states[T]) invalidate(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
	if t, ok := c.loading[key]; ok {
		t.stale = true
	}
}

func (c *states[T]) get(key string) (*T, eventstore.Loaded, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, eventstore.Loaded{}, false
	}
	c.order.MoveToFront(el)
	s := el.Value.(*stateAt[T])
	return s.state, s.at, true
}

// keep keeps state unless a newer one is kept already. Callers hold mu.
func (c *states[T]) keep(key string, state *T, at eventstore.Loaded) {
	if el, ok := c.items[key]; ok {
		if s := el.Value.(*stateAt[T]); s.at.Seq <= at.Seq {
			s.state, s.at = state, at
		}
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&stateAt[T]{key: key, state: state, at: at})
	for c.order.Len() > c.size {
		last := c.order.Remove(c.order.Back()).(*stateAt[T])
		delete(c.items, last.key)
	}
}

func (c *states[T]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
