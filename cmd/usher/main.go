// Command usher migrates user accounts into Auth0: it reads a legacy export, normalizes,
// validates and routes every user, and writes Auth0 bulk-import files with an exact account of
// every record (imported, held for lazy migration, or rejected with its reason and position).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	_ "github.com/usher-migrate/usher/sources/all" // register every source
)

// Exit statuses (design §3).
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitRejected = 3
)

// errRejected is returned by a command that finished but rejected some records.
var errRejected = errors.New("some records were rejected")

// memoryLimit is the soft heap limit usher runs under: the garbage collector works harder as the
// heap nears it, which keeps peak memory flat however large the input. GOMEMLIMIT overrides it.
const memoryLimit = 128 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI and maps its outcome to an exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	root := newRoot(log, stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errRejected):
		return exitRejected
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "usher: %v\nRun 'usher --help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "usher: %v\n", err)
		return exitFailed
	}
}

func newRoot(log *slog.Logger, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "usher",
		Short: "Move user accounts into Auth0, correctly and resumably",
		Long: `usher migrates user accounts into Auth0. It reads a legacy export (CSV, JSON, Auth0's
own export, …), maps and validates every user against Auth0's bulk-import schema, routes
password hashes, and writes Auth0 bulk-import files (JSON arrays of at most 500 KB). Every
record read ends in exactly one place: an import file, lazy.ndjson (held for lazy migration)
or rejects.ndjson (with its reason codes and input position).

Exit status: 0 done, nothing rejected; 3 done, some records rejected; 1 failed; 2 usage.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	var cpuProfile string
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for pprof)")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(*cobra.Command, []string) { pprof.StopCPUProfile() }
	root.AddCommand(newMigrateCmd(log, stdout, stderr, false), newMigrateCmd(log, stdout, stderr, true), newRunCmd(log, stdout, stderr), newMappingCmd(stdout), newJobsCmd(log, stdout), newSandboxCmd(log, stdout), newExportCmd(log, stdout, stderr), newHookCmd(log, stdout), newStageCmd(log, stdout, stderr), newSweepCmd(log, stdout, stderr))
	return root
}
