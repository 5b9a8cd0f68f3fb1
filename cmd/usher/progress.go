package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/usher-migrate/usher/pipeline"
)

type progress struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (p *progress) stop() {
	p.cancel()
	p.wg.Wait()
}

// startProgress shows a progress bar (records/s, ETA from input bytes when known) on a terminal,
// or logs a line every 10 s otherwise ("auto"); "always" forces log lines, "never" shows nothing.
func startProgress(ctx context.Context, mode string, stderr io.Writer, log *slog.Logger, src pipeline.Source, r *pipeline.Runner) *progress {
	ctx, cancel := context.WithCancel(ctx)
	p := &progress{cancel: cancel}
	if mode == "never" {
		return p
	}
	f, isFile := stderr.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	sizer, sized := src.(pipeline.Sizer)
	p.wg.Add(1)
	if mode == "auto" && tty {
		go func() {
			defer p.wg.Done()
			total := int64(-1)
			if sized && sizer.TotalBytes() > 0 {
				total = sizer.TotalBytes()
			}
			bar := progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription("migrating"),
				progressbar.OptionShowBytes(total > 0),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionSetElapsedTime(true),
				progressbar.OptionSetPredictTime(total > 0),
				progressbar.OptionClearOnFinish(),
			)
			start := time.Now()
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					bar.Finish()
					return
				case <-t.C:
					n := r.Processed()
					rate := float64(n) / time.Since(start).Seconds()
					bar.Describe("migrating: " + itoa(n) + " users, " + itoa(int64(rate)) + " users/s")
					if total > 0 {
						bar.Set64(sizer.ReadBytes())
					} else {
						bar.Set64(n)
					}
				}
			}
		}()
		return p
	}
	go func() {
		defer p.wg.Done()
		start := time.Now()
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n := r.Processed()
				attrs := []any{"records", n, "per_second", int64(float64(n) / time.Since(start).Seconds())}
				if sized && sizer.TotalBytes() > 0 {
					done := float64(sizer.ReadBytes()) / float64(sizer.TotalBytes())
					attrs = append(attrs, "input_done", int(done*100))
					if done > 0.01 {
						eta := time.Duration(float64(time.Since(start)) * (1 - done) / done).Round(time.Second)
						attrs = append(attrs, "eta", eta.String())
					}
				}
				log.Info("progress", attrs...)
			}
		}
	}()
	return p
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [24]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
