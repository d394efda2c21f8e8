package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/chatbotsaas/chatbot/projector"
)

// progressView shows how far a replay is: a progress bar (events done and
// total, rate, time left) on a terminal, else a plain line every few
// seconds, on stderr either way (stdout carries the results).
type progressView struct {
	w   io.Writer
	tty bool
}

// plainEvery is how often a progress line is printed when not on a terminal.
const plainEvery = 3 * time.Second

func newProgressView(e env) *progressView {
	f, ok := e.stderr.(*os.File)
	return &progressView{w: e.stderr, tty: ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))}
}

// track returns the progress function of one projection's replay and a
// function that ends its display.
func (v *progressView) track(name string) (projector.ProgressFunc, func()) {
	if v.tty {
		return v.bar(name)
	}
	start, last := time.Now(), time.Time{}
	var done, total uint64
	seen := false
	line := func() {
		rate := float64(done) / max(time.Since(start).Seconds(), 1e-3)
		eta := "?"
		if rate > 0 && total >= done {
			eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
		}
		fmt.Fprintf(v.w, "%s: %d/%d events (%.0f%%), %.0f events/s, %s left\n", name, done, total, percent(done, total), rate, eta)
	}
	return func(d, t uint64) {
			done, total, seen = d, t, true
			if time.Since(last) >= plainEvery {
				last = time.Now()
				line()
			}
		}, func() {
			if seen {
				line()
			}
		}
}

func (v *progressView) bar(name string) (projector.ProgressFunc, func()) {
	var bar *progressbar.ProgressBar
	return func(done, total uint64) {
			if bar == nil {
				bar = progressbar.NewOptions64(int64(total), progressbar.OptionSetWriter(v.w),
					progressbar.OptionSetDescription(name), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("events"), progressbar.OptionSetPredictTime(true),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionShowElapsedTimeOnFinish(),
					progressbar.OptionSetWidth(30))
			}
			if int64(total) != bar.GetMax64() {
				bar.ChangeMax64(int64(total))
			}
			_ = bar.Set64(int64(done))
		}, func() {
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(v.w)
			}
		}
}

func percent(done, total uint64) float64 {
	if total == 0 {
		return 100
	}
	return 100 * float64(done) / float64(total)
}
