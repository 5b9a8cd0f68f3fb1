package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/reconcile"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/runreport/htmlreport"
	"github.com/usher-migrate/usher/pipeline/store"
)

// newReconcileCmd is `usher reconcile DIR`: the tenant's connection, exported, compared with what
// the run (and its sweeps, and the hook) sent.
func newReconcileCmd(log *slog.Logger, stdout, stderr io.Writer) *cobra.Command {
	var t tenantOptions
	var connection, dsn string
	var sweeps []string
	cmd := &cobra.Command{
		Use:   "reconcile DIR --tenant D --client-id ID [--client-secret-file F] --connection NAME [--store DSN] [--sweep DIR2]...",
		Short: "Compare the tenant's connection with what the run imported",
		Long: `reconcile exports the connection through a users-exports job and compares it, user by user, with
what was sent to it: the users of DIR's import files that the upload's jobs did not refuse, the
users of each --sweep folder's import files, and the run's lazy users that the store marks
migrated. Each must be in the connection exactly once with the fields sent (email, email_verified,
given_name, family_name, name, nickname, picture, username, blocked, user_metadata, app_metadata;
e-mail and username without regard to case); a user of the connection nobody sent is extra.
Users refused by an import job and users still waiting for lazy migration are expected absent
and only counted.

Every difference is a line of DIR/reconcile.ndjson; report.json gets a "reconcile" summary and
report.html is written again with it.

Exit status: 0 the tenant holds what was sent; 3 it differs; 1 failed; 2 usage.`,
		Example: `  usher reconcile run1 --tenant acme.eu.auth0.com --client-id ID --client-secret-file m2m.secret --connection Username-Password-Authentication --sweep sweep1`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("reconcile needs exactly one run folder (DIR)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if t.Tenant == "" || t.ClientID == "" || connection == "" {
				return usagef("reconcile needs --tenant, --client-id and --connection")
			}
			return runReconcile(cmd.Context(), log, stderr, args[0], t, connection, dsn, sweeps)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&t.Tenant, "tenant", "", "Auth0 tenant domain or base URL")
	fs.StringVar(&t.ClientID, "client-id", "", "machine-to-machine application with read:users and read:connections")
	fs.StringVar(&t.ClientSecretFile, "client-secret-file", "", "file holding its client secret (else $"+clientSecretEnv+")")
	fs.StringVar(&connection, "connection", "", "the database connection the run was uploaded to (by name)")
	fs.StringVar(&dsn, "store", "", "the lazy-migration store (default sqlite:DIR/usher.db)")
	fs.StringArrayVar(&sweeps, "sweep", nil, "a sweep run's folder (repeatable)")
	return cmd
}

func runReconcile(ctx context.Context, log *slog.Logger, stderr io.Writer, dir string, t tenantOptions, connection, dsn string, sweeps []string) error {
	if _, err := auth0api.BaseURLFor(t.Tenant); err != nil {
		return usageError{fmt.Errorf("--tenant: %w", err)}
	}
	if _, err := secret.Read("client secret", t.ClientSecretFile, clientSecretEnv); err != nil {
		return usageError{err}
	}
	for _, d := range append([]string{dir}, sweeps...) {
		if ok, err := ledger.IsLedger(filepath.Join(d, ledger.FileName)); err != nil {
			return err
		} else if !ok {
			return usagef("%s is not a run folder (no %s)", d, ledger.FileName)
		}
	}
	reportPath := filepath.Join(dir, runreport.ReportName)
	if _, err := os.Lstat(reportPath); err != nil {
		return fmt.Errorf("%s: %w (reconcile a finished run)", reportPath, err)
	}
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dir, ledger.FileName)
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()

	// The connection is read through the auth0 source's live path: the same users-exports job,
	// waiting, link renewal and whole-file gzip check as `usher export --source auth0`, spooled
	// to a temporary folder removed at the end (never reused: each reconcile exports afresh).
	info, err := pipeline.LookupSource("auth0")
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "usher-reconcile-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	src, err := info.New(pipeline.SourceConfig{WorkDir: work, Options: map[string]string{
		"tenant": t.Tenant, "client-id": t.ClientID, "client-secret-file": t.ClientSecretFile, "connection": connection}})
	if err != nil {
		return err
	}
	export := func(ctx context.Context, emit func([]byte) error) error {
		return src.Read(ctx, func(raw pipeline.RawRecord) error {
			if raw.Err != nil {
				return fmt.Errorf("the users export at %s: %w", raw.Pos, raw.Err)
			}
			if len(bytes.TrimSpace(raw.Data)) == 0 {
				return fmt.Errorf("the users export at %s: a user too large to read", raw.Pos)
			}
			return emit(raw.Data)
		})
	}

	outPath := filepath.Join(dir, reconcile.FileName)
	tmp := outPath + ".tmp"
	f, err := nofollow.OpenOutput(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	runs := []reconcile.Run{{Dir: dir, Kind: "imported"}}
	for _, s := range sweeps {
		runs = append(runs, reconcile.Run{Dir: s, Kind: "swept"})
	}
	sum, err := reconcile.Reconcile(ctx, reconcile.Config{Runs: runs, LazyFrom: dir, Store: st, Export: export, Out: f,
		Logf: func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, outPath); err != nil {
		return err
	}
	sum.File = reconcile.FileName
	if err := putReconcile(dir, &sum); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "reconciled %s with %s: %d users checked, %d in the connection; missing %d, extra %d, altered %d, duplicate %d; expected absent: lazy %d, refused by Auth0 %d\n",
		dir, connection, sum.Checked, sum.Tenant, sum.Missing, sum.Extra, sum.Altered, sum.Duplicate, sum.Lazy, sum.Rejected)
	if !sum.Equal {
		fmt.Fprintf(stderr, "the tenant differs from what was sent: see %s\n", outPath)
		return errRejected
	}
	return nil
}

// putReconcile sets report.json's "reconcile" in place (atomically, never through a link),
// keeping every other key as it was and in its order, then writes report.html from it.
func putReconcile(dir string, sum *runreport.Reconcile) error {
	path := filepath.Join(dir, runreport.ReportName)
	if err := nofollow.RefuseLinks([]string{path}, nil); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := setKey(b, "reconcile", sum)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := nofollow.WriteFileAtomic(path, out); err != nil {
		return err
	}
	var rep runreport.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return htmlreport.WriteRun(dir, &rep)
}

// setKey returns the JSON object doc with key set to v (replaced where it is, else added last),
// indented as the reports are; every other member is kept byte for byte in its order.
func setKey(doc []byte, key string, v any) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	val, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	type member struct {
		k string
		v json.RawMessage
	}
	var members []member
	set := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if k == key {
			raw, set = val, true
		}
		members = append(members, member{k, raw})
	}
	if !set {
		members = append(members, member{key, val})
	}
	var buf bytes.Buffer
	buf.WriteString("{\n")
	for i, m := range members {
		kb, _ := json.Marshal(m.k)
		buf.WriteString("  ")
		buf.Write(kb)
		buf.WriteString(": ")
		if err := json.Indent(&buf, m.v, "  ", "  "); err != nil {
			return nil, err
		}
		if i < len(members)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("}\n")
	return buf.Bytes(), nil
}
