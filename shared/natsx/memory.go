package natsx

import (
	"runtime"
	"runtime/debug"
	"time"
)

// returnMemory collects and gives memory back to the system every period
// while the process holds more than 64 MB of heap. The server keeps a
// message block (up to 8 MB) in memory for 10 s after reading it, then
// parks it in a sync.Pool, which lets go of it at the second collection
// after; reads spread over many aggregates (every bot API call reads its
// chatbot's last event) hold many blocks at once. An idle process may not
// collect for minutes, so without this it would keep its peak for minutes.
// Two collections of a 100 MB heap every 30 s cost about 0.2 % of a core.
func returnMemory(every time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapSys-m.HeapReleased > 64<<20 {
			runtime.GC()
			debug.FreeOSMemory()
		}
	}
}
