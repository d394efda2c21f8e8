package readmodel

import "container/heap"

// waiter is one read waiting for a projection to be through n; ready is
// closed when it is.
type waiter struct {
	n     uint64
	ready chan struct{}
	index int // in its heap, -1 once out of it
}

// waiters is a min-heap by position: a mark that moves wakes exactly the
// reads it now satisfies, the lowest first, and touches no other.
type waiters []*waiter

func (h waiters) Len() int           { return len(h) }
func (h waiters) Less(i, j int) bool { return h[i].n < h[j].n }
func (h waiters) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *waiters) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}

func (h *waiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	w.index = -1
	*h = old[:len(old)-1]
	return w
}

// wakeThrough releases every waiter at or below through.
func (h *waiters) wakeThrough(through uint64) {
	for h.Len() > 0 && (*h)[0].n <= through {
		close(heap.Pop(h).(*waiter).ready)
	}
}

// drop takes out a waiter that stopped waiting (its bound passed).
func (h *waiters) drop(w *waiter) {
	if w.index >= 0 {
		heap.Remove(h, w.index)
	}
}
