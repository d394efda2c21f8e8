package main

import (
	"strings"
	"testing"
	"time"
)

func TestDiskStallsAreRunsOfWritesInFlightWithNoneCompleted(t *testing.T) {
	start := time.Now()
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	samples := []diskSample{
		{at(0), 10, 1}, {at(10), 12, 1}, // moving
		{at(20), 12, 2}, {at(60), 12, 3}, {at(130), 12, 4}, // 110 ms stuck from 10 ms
		{at(140), 20, 0},
		{at(150), 20, 0}, {at(400), 20, 0}, // idle, nothing in flight: not a stall
		{at(410), 20, 1}, {at(450), 20, 1}, // 50 ms stuck: under the threshold
		{at(460), 21, 0},
	}
	got := diskStalls(samples, start)
	if len(got) != 1 || got[0].Ms != 120 || got[0].AtS != 0.01 || got[0].InFlight != 4 {
		t.Fatalf("stalls %+v", got)
	}
	note := describeDisk(got, true, []Stall{{AtS: 0.05, Span: 200, WorstMs: 200}})
	if !strings.Contains(note, "1 of the 1 runs of slow requests came with one, the slowest (0.1 s) with the disk stalled 120 ms") {
		t.Errorf("note %q", note)
	}
	if note := describeDisk(got, true, []Stall{{AtS: 5, Span: 200, WorstMs: 300}, {AtS: 0.05, Span: 100, WorstMs: 150}}); !strings.Contains(note, "1 of the 2 runs of slow requests came with one, not the slowest (5.0 s)") {
		t.Errorf("note %q", note)
	}
	if note := describeDisk(nil, false, nil); !strings.Contains(note, "not watched") {
		t.Errorf("note %q", note)
	}
}

func TestTheDiskUnderADirectoryIsFound(t *testing.T) {
	w := watchDisk(t.TempDir())
	time.Sleep(50 * time.Millisecond)
	_, ok := w.Stop(time.Now())
	if !ok {
		t.Skipf("no block device for the temporary directory (device %q): a tmpfs or overlay", w.device)
	}
}
