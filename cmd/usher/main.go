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
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/usher-migrate/usher/internal/nofollow"

	_ "github.com/usher-migrate/usher/sources/all" // register every source
)

// Exit statuses, as README.md documents them ("Usage"). A crash ends the process with SIGABRT,
// never with one of these (see main).
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitRejected = 3
)

// errRejected is returned by a command that finished but rejected some records.
var errRejected = errors.New("some records were rejected")

// memoryLimit is the soft limit of the Go runtime's memory usher runs under: the garbage
// collector works harder as memory nears it, which keeps peak memory flat however large the
// input. The process's resident memory adds about 55 MB of program text and data the kernel maps
// from the binary, and SQLite's own allocations, so 96 MiB keeps a run under 200 MB.
// GOMEMLIMIT overrides it.
const memoryLimit = 96 << 20

// exportMemoryLimit replaces memoryLimit for an export, which keeps no ledger, dedup index or
// e-mail filters: with 128 MiB the Parquet writer encodes a row group's columns on every core
// (sinks/export/format), and 1M users take 13.3 s instead of 15.2 s at 145 MB of peak RSS.
const exportMemoryLimit = 128 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	// A crash (an unrecovered panic, a fatal runtime error such as running out of memory) must not
	// exit with 2, which means a usage error: the Go runtime exits with 2 unless its traceback
	// level is "crash", which ends the process with SIGABRT instead (status 134 in a shell) after
	// the same report on standard error. The core dump that SIGABRT would allow is refused (the
	// process holds password material): core size 0, which systemd-coredump honours too.
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
	debug.SetTraceback("crash")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	writePeakRSS(os.Getenv(peakRSSEnv))
	os.Exit(code)
}

// peakRSSEnv names a file to which usher writes, as it exits, its peak resident memory in bytes
// (the kernel's VmHWM). It is how tests and benchmarks measure usher's memory: the rusage of a
// child that Go starts counts the parent's own peak as well (Go starts children with vfork, and
// the kernel keeps the high-water mark of the memory the child shared until its exec).
const peakRSSEnv = "USHER_PEAK_RSS_FILE"

// writePeakRSS writes the process's VmHWM to path (nothing when path is empty or /proc cannot
// tell: the measurement is a tool's, never a reason to fail).
func writePeakRSS(path string) {
	if path == "" {
		return
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				os.WriteFile(path, []byte(strconv.FormatInt(kb<<10, 10)+"\n"), 0o600)
			}
			return
		}
	}
}

// run executes the CLI and maps its outcome to an exit status. A CPU profile (--cpuprofile) is
// stopped and written whatever the outcome; user info in URLs is removed from every error and
// log line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: redactAttr}))
	prof := &cpuProfile{}
	root := newRoot(log, stdout, stderr, prof)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if perr := prof.stop(); perr != nil && err == nil {
		err = perr
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errRejected):
		return exitRejected
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "usher: %s\nRun 'usher --help' for usage.\n", redactURLs(err.Error()))
		return exitUsage
	default:
		fmt.Fprintf(stderr, "usher: %s\n", redactURLs(err.Error()))
		return exitFailed
	}
}

// cpuProfile is the --cpuprofile file while the profile runs.
type cpuProfile struct{ f *os.File }

func (p *cpuProfile) start(path string) error {
	f, err := nofollow.OpenOutput(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	p.f = f
	return nil
}

// stop writes the profile out, on every exit path (a failed or rejecting run included).
func (p *cpuProfile) stop() error {
	if p.f == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.f.Close()
	p.f = nil
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	return nil
}

// urlUserinfo matches the user info of a URL in free text ("http://user:secret@" up to the last
// '@' before the host).
var urlUserinfo = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s"'<>]*@`)

// redactURLs removes the user info (user:password@) of every URL in s.
func redactURLs(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return urlUserinfo.ReplaceAllString(s, "${1}[redacted]@")
}

// redactAttr is the log handler's ReplaceAttr: URL user info is removed from messages and from
// string and error values.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); strings.Contains(s, "@") {
			a.Value = slog.StringValue(redactURLs(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && strings.Contains(err.Error(), "@") {
			a.Value = slog.StringValue(redactURLs(err.Error()))
		}
	}
	return a
}

// tenantFlags are the options naming an Auth0 tenant: credentials in them would be printed,
// logged and kept in shell history, so a URL with user info is refused.
var tenantFlags = map[string]bool{"tenant": true, "auth0-tenant": true}

// checkTenantCredentials refuses (as a usage error) a tenant URL that carries user info
// (http://user:secret@host), without showing it. flag names the option in the message.
func checkTenantCredentials(flag, v string) error {
	if v == "" || !hasUserinfo(v) {
		return nil
	}
	return usagef("--%s %s: a tenant URL with user info (user:password@) is refused; credentials belong in --client-secret-file", flag, redactURLs(withScheme(strings.TrimSpace(v))))
}

// hasUserinfo reports whether a --tenant-style value (a domain or a URL) holds user info.
func hasUserinfo(v string) bool {
	v = withScheme(strings.TrimSpace(v))
	if u, err := url.Parse(v); err == nil {
		return u.User != nil
	}
	authority, _, _ := strings.Cut(v[strings.Index(v, "://")+3:], "/")
	return strings.Contains(authority, "@")
}

func withScheme(v string) string {
	if strings.Contains(v, "://") {
		return v
	}
	return "https://" + v
}

// checkFlagCredentials applies checkTenantCredentials to the tenant flags set on cmd and to
// --source-opt tenant=….
func checkFlagCredentials(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch so, isOpts := f.Value.(sourceOpts); {
		case err != nil:
		case tenantFlags[f.Name]:
			err = checkTenantCredentials(f.Name, f.Value.String())
		case isOpts && so.m != nil:
			err = checkTenantCredentials("source-opt tenant", (*so.m)["tenant"])
		}
	})
	return err
}

func newRoot(log *slog.Logger, stdout, stderr io.Writer, prof *cpuProfile) *cobra.Command {
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
		Version:       readBuildInfo().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	var cpuProfile string
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for pprof)")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFlagCredentials(cmd); err != nil {
			return err
		}
		if cpuProfile == "" {
			return nil
		}
		return prof.start(cpuProfile) // run stops it, whatever the command's outcome
	}
	root.AddCommand(newMigrateCmd(log, stdout, stderr, false), newMigrateCmd(log, stdout, stderr, true), newRunCmd(log, stdout, stderr), newMappingCmd(stdout), newJobsCmd(log, stdout), newSandboxCmd(log, stdout), newExportCmd(log, stdout, stderr), newHookCmd(log, stdout), newStageCmd(log, stdout, stderr), newSweepCmd(log, stdout, stderr), newReconcileCmd(log, stdout, stderr), newVersionCmd(stdout))
	return root
}
