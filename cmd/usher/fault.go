package main

import (
	"context"
	"os"
	"strconv"
	"syscall"

	"github.com/usher-migrate/usher/pipeline"
)

// faultWriter lets the crash tests stop a real usher process at an exact record: with
// USHER_FAULT_KILL_AFTER=N the process SIGKILLs itself after writing N records, with
// USHER_FAULT_SIGINT_AFTER=N it sends itself SIGINT. Without those variables it is not installed.
type faultWriter struct {
	pipeline.Writer
	n, after int64
	sig      syscall.Signal
}

func withFaults(w pipeline.Writer) pipeline.Writer {
	for env, sig := range map[string]syscall.Signal{"USHER_FAULT_KILL_AFTER": syscall.SIGKILL, "USHER_FAULT_SIGINT_AFTER": syscall.SIGINT} {
		if v := os.Getenv(env); v != "" {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return &faultWriter{Writer: w, after: n, sig: sig}
			}
		}
	}
	return w
}

// Write passes r on and fires the fault after the configured number of records.
func (f *faultWriter) Write(ctx context.Context, r *pipeline.Result) error {
	if err := f.Writer.Write(ctx, r); err != nil {
		return err
	}
	f.n++
	if f.n == f.after {
		syscall.Kill(os.Getpid(), f.sig)
	}
	return nil
}

// uploadFault is the Auth0 sink's fault hook: with USHER_FAULT_KILL_AT=POINT:FILE (a journal point
// of sinks/auth0 — sending, sent, submitted, done, merge — and an import file number, 0 for merge)
// the process SIGKILLs itself there. Without the variable it does nothing.
func uploadFault() func(point string, fileNo int) {
	v := os.Getenv("USHER_FAULT_KILL_AT")
	if v == "" {
		return nil
	}
	return func(point string, fileNo int) {
		if v == point+":"+strconv.Itoa(fileNo) {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
}
