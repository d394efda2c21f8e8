package natsx

import (
	"runtime"
	"testing"
	"time"
)

func TestMemoryIsReturnedOnlyOnceIdleAndOnlyWhenThereIsSomeToReturn(t *testing.T) {
	stats := func(totalAlloc, heapSys uint64) runtime.MemStats {
		return runtime.MemStats{TotalAlloc: totalAlloc, HeapSys: heapSys}
	}
	const mb = 1 << 20
	period := 30 * time.Second
	cases := []struct {
		name     string
		last     runtime.MemStats
		kept     uint64
		now      runtime.MemStats
		returned bool
	}{
		{"under load: 10 MB/s allocated", stats(0, 500*mb), 0, stats(300*mb, 500*mb), false},
		{"idle, holding a load's peak", stats(0, 500*mb), 0, stats(10*mb, 500*mb), true},
		{"idle, little held", stats(0, 40*mb), 0, stats(mb, 40*mb), false},
		{"idle, as much held as after the last return", stats(0, 90*mb), 85 * mb, stats(mb, 90*mb), false},
		{"idle, grown since the last return", stats(0, 150*mb), 85 * mb, stats(mb, 150*mb), true},
	}
	for _, c := range cases {
		r := returner{last: c.last, kept: c.kept}
		if got := r.due(c.now, period); got != c.returned {
			t.Errorf("%s: returned %v, want %v", c.name, got, c.returned)
		}
	}
}
