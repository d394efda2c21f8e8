package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// diskStallMs is how long the disk must complete no write, with writes in
// flight, to count as stalled.
const diskStallMs = 80

// DiskStall is a time the block device under the product's data held
// writes and completed none: every fsync waited for it, whatever the
// product did.
type DiskStall struct {
	AtS      float64 `json:"at_s" doc:"seconds into the run"`
	Ms       float64 `json:"ms"`
	InFlight int     `json:"in_flight" doc:"the most I/Os in flight meanwhile"`
}

// diskWatch samples the kernel's counters of one block device
// (/proc/diskstats) every 10 ms until stopped.
type diskWatch struct {
	device string // "major minor", or "" when dir's device is not listed
	stop   chan struct{}
	done   chan []diskSample
}

type diskSample struct {
	at       time.Time
	writes   uint64
	inFlight int
}

// watchDisk starts watching the device that holds dir.
func watchDisk(dir string) *diskWatch {
	w := &diskWatch{stop: make(chan struct{}), done: make(chan []diskSample, 1)}
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err == nil {
		dev := uint64(st.Dev) //nolint:unconvert // Dev is not uint64 on every platform
		major := (dev>>8)&0xfff | (dev>>32)&^0xfff
		minor := dev&0xff | (dev>>12)&^0xff
		w.device = fmt.Sprintf("%d %d", major, minor)
	}
	go w.run()
	return w
}

func (w *diskWatch) run() {
	var samples []diskSample
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s, ok := w.sample(); ok {
			samples = append(samples, s)
		}
		select {
		case <-w.stop:
			w.done <- samples
			return
		case <-tick.C:
		}
	}
}

// sample reads the device's writes completed (field 8 of its line) and
// I/Os in flight (field 12).
func (w *diskWatch) sample() (diskSample, bool) {
	if w.device == "" {
		return diskSample{}, false
	}
	f, err := os.Open("/proc/diskstats")
	if err != nil {
		return diskSample{}, false
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 12 || fields[0]+" "+fields[1] != w.device {
			continue
		}
		writes, err1 := strconv.ParseUint(fields[7], 10, 64)
		inFlight, err2 := strconv.Atoi(fields[11])
		return diskSample{at: time.Now(), writes: writes, inFlight: inFlight}, err1 == nil && err2 == nil
	}
	return diskSample{}, false
}

// Stop ends the watch and returns the stalls, timed from start; ok is
// false when the device could not be watched.
func (w *diskWatch) Stop(start time.Time) (stalls []DiskStall, ok bool) {
	close(w.stop)
	samples := <-w.done
	return diskStalls(samples, start), len(samples) > 0
}

// diskStalls finds the runs of samples where writes were in flight and the
// count of completed writes did not move.
func diskStalls(samples []diskSample, start time.Time) []DiskStall {
	var out []DiskStall
	for i := 1; i < len(samples); {
		if samples[i].writes != samples[i-1].writes || samples[i].inFlight == 0 {
			i++
			continue
		}
		from, most := samples[i-1], samples[i].inFlight
		j := i
		for j+1 < len(samples) && samples[j+1].writes == from.writes && samples[j+1].inFlight > 0 {
			j++
			most = max(most, samples[j].inFlight)
		}
		if d := samples[j].at.Sub(from.at); ms(d) >= diskStallMs {
			out = append(out, DiskStall{AtS: from.at.Sub(start).Seconds(), Ms: ms(d), InFlight: most})
		}
		i = j + 1
	}
	return out
}

// describeDisk is the disk's stalls for a note, and whether the slowest
// run of requests coincides with one of them.
func describeDisk(ds []DiskStall, watched bool, ss []Stall) string {
	if !watched {
		return "the disk was not watched (no block device found for the data directory)"
	}
	if len(ds) == 0 {
		return fmt.Sprintf("the disk never held writes for %d ms without completing one", diskStallMs)
	}
	longest := ds[0]
	for _, d := range ds {
		if d.Ms > longest.Ms {
			longest = d
		}
	}
	out := fmt.Sprintf("the disk held writes and completed none %d times for %d ms or more, the longest %.0f ms at %.1f s (%d in flight)",
		len(ds), diskStallMs, longest.Ms, longest.AtS, longest.InFlight)
	if len(ss) == 0 {
		return out
	}
	with, worst := 0, ss[0]
	for _, s := range ss {
		if s.WorstMs > worst.WorstMs {
			worst = s
		}
		if _, ok := diskStallDuring(ds, s); ok {
			with++
		}
	}
	out += fmt.Sprintf("; %d of the %d runs of slow requests came with one", with, len(ss))
	if d, ok := diskStallDuring(ds, worst); ok {
		return out + fmt.Sprintf(", the slowest (%.1f s) with the disk stalled %.0f ms at %.1f s", worst.AtS, d.Ms, d.AtS)
	}
	return out + fmt.Sprintf(", not the slowest (%.1f s)", worst.AtS)
}

// diskStallDuring is a disk stall that overlaps the run of slow requests
// s (from a little before it, as a request is slow from when it was due).
func diskStallDuring(ds []DiskStall, s Stall) (DiskStall, bool) {
	for _, d := range ds {
		if d.AtS <= s.AtS+s.Span/1000 && d.AtS+d.Ms/1000 >= s.AtS-0.1 {
			return d, true
		}
	}
	return DiskStall{}, false
}
