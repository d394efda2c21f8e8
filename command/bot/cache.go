package bot

import (
	"container/list"
	"sync"

	"github.com/chatbotsaas/chatbot/command/eventstore"
)

// states keeps the newest folded state of the aggregates calls used last,
// at most size of them, with where in its history each is. A state in it
// is never changed: a newer one replaces it, so readers share it unlocked.
type states[T any] struct {
	mu    sync.Mutex
	size  int
	order *list.List
	items map[string]*list.Element
}

type stateAt[T any] struct {
	key   string
	state *T
	at    eventstore.Loaded
}

func newStates[T any](size int) *states[T] {
	return &states[T]{size: max(size, 1), order: list.New(), items: map[string]*list.Element{}}
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

// put keeps state unless a newer one is kept already.
func (c *states[T]) put(key string, state *T, at eventstore.Loaded) {
	c.mu.Lock()
	defer c.mu.Unlock()
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
