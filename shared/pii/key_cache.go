package pii

import (
	"container/list"
	"crypto/cipher"
	"sync"
)

// keyCache is a small LRU of opened data keys; a nil entry is an erasure
// seen by this process.
type keyCache struct {
	mu    sync.Mutex
	size  int
	order *list.List
	items map[string]*list.Element
}

type cached struct {
	subject string
	key     cipher.AEAD
}

func newKeyCache(size int) *keyCache {
	return &keyCache{size: size, order: list.New(), items: map[string]*list.Element{}}
}

func (c *keyCache) get(subject string) (cipher.AEAD, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[subject]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cached).key, true
}

func (c *keyCache) put(subject string, key cipher.AEAD) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[subject]; ok {
		el.Value.(*cached).key = key
		c.order.MoveToFront(el)
		return
	}
	c.items[subject] = c.order.PushFront(&cached{subject: subject, key: key})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cached).subject)
	}
}
