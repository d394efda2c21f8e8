package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux the product runs on).
const clockTicks = 100

// procCPU is the CPU time (user and system) the process has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'. utime and stime are fields 14 and 15.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unreadable CPU times", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// procRSSMB is the process's resident set in MiB, 0 when it cannot be read.
func procRSSMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// tracker follows one product process during a measured load: the CPU
// it spends and the largest resident set it reaches.
type tracker struct {
	pid  int
	cpu0 time.Duration
	stop chan struct{}
	done sync.WaitGroup
	peak float64
}

// track starts following pid; the sampler reads /proc every 100 ms, which
// costs the process measured nothing.
func track(pid int) *tracker {
	t := &tracker{pid: pid, stop: make(chan struct{})}
	t.cpu0, _ = procCPU(pid)
	t.peak = procRSSMB(pid)
	t.done.Add(1)
	go func() {
		defer t.done.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tick.C:
				t.peak = max(t.peak, procRSSMB(t.pid))
			}
		}
	}()
	return t
}

// finish stops following and answers the product's CPU milliseconds per
// operation (over ops operations) and its peak resident set in MiB.
func (t *tracker) finish(ops int) (cpuMsPerOp, peakMB float64) {
	close(t.stop)
	t.done.Wait()
	t.peak = max(t.peak, procRSSMB(t.pid))
	if cpu, err := procCPU(t.pid); err == nil && ops > 0 {
		cpuMsPerOp = float64((cpu - t.cpu0).Microseconds()) / 1000 / float64(ops)
	}
	return cpuMsPerOp, t.peak
}

// track follows the product's chatbotd process.
func (p *product) track() *tracker { return track(p.cmd.Process.Pid) }
