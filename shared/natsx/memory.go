package natsx

import (
	"runtime"
	"runtime/debug"
	"time"
)

// returnMemory gives memory back to the system once the process has gone
// idle, checking every period. The server keeps a message block (up to
// 8 MB) in memory for 10 s after reading it, then parks it in a sync.Pool
// that lets go of it only at a later collection; an idle process may not
// collect for two minutes, so without this it would keep its peak that
// long after a load ends.
//
// It never collects under load. Forcing two collections every 30 s
// whatever the load (as this did before) stalled sustained commands: the
// pair of forced collections at 90 s and 120 s lined up with stalls of
// 140-400 ms in the sustained-command bench (gctrace, two runs), a
// collection's mark phase taking one of two cores and its sweep and
// scavenge holding the heap. Under load the runtime's own pacing and
// scavenger suffice (GOMEMLIMIT bounds it if the host needs a bound).
func returnMemory(every time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var r returner
	runtime.ReadMemStats(&r.last)
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if r.due(m, every) {
			runtime.GC()
			debug.FreeOSMemory()
			runtime.ReadMemStats(&m)
			r.kept = held(m)
		}
		r.last = m
	}
}

// idleAllocs is how much a process may allocate a second and still count
// as idle: heartbeats, metrics and timers, not requests.
const idleAllocs = 1 << 20

// returner decides, from readings a period apart, when to give memory back.
type returner struct {
	last runtime.MemStats
	kept uint64 // what the process held right after the last return
}

func held(m runtime.MemStats) uint64 { return m.HeapSys - m.HeapReleased }

// due tells whether the process went idle (it allocated little since the
// last reading) while holding over 64 MB of heap, and 16 MB more than it
// kept after the last return (else a return would give back nothing).
func (r *returner) due(now runtime.MemStats, period time.Duration) bool {
	idle := float64(now.TotalAlloc-r.last.TotalAlloc) < idleAllocs*period.Seconds()
	h := held(now)
	return idle && h > 64<<20 && h > r.kept+16<<20
}
