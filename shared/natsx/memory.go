package natsx

import (
	"runtime"
	"runtime/debug"
	"time"
)

// returnMemory gives memory back to the system once the process holds far
// more heap than it last needed. The server keeps a message block (up to
// 8 MB) in memory for 10 s after reading it, so reads spread over many
// aggregates hold many blocks for a while; once dropped, the Go runtime
// returns them only after a collection that an idle process may not run
// for minutes.
func returnMemory(every time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var needed uint64
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if held := m.HeapSys - m.HeapReleased; held > 2*needed+64<<20 {
			debug.FreeOSMemory()
			runtime.ReadMemStats(&m)
			needed = m.HeapAlloc
		}
	}
}
