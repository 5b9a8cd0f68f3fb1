package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/store"
)

// stageLazy copies the run's lazy users (profile and password material) from its ledger into a
// lazy-migration store: dsn, or when empty the store inside the same file (sqlite:DIR/usher.db),
// where usher hook serve finds them. It is idempotent: users already migrated keep their status.
// It returns how many users it staged and, by format, how many of them hold a password the hook
// cannot verify (the hook answers their logins like wrong passwords).
//
// A store that a migrate run filled (its ledger, sqlite:DIR/usher.db) also records how that run
// settled each user: a user it wrote to import files, or merged into or holds as another
// account's user, is never staged as waiting (the sweep would import the person a second time);
// they are skipped and reported in skip (how many, and the first few with their positions).
func stageLazy(ctx context.Context, dir, source, dsn string) (n int, unverifiable map[string]int, skip skipped, err error) {
	path := filepath.Join(dir, ledger.FileName)
	led, err := ledger.Open(path)
	if err != nil {
		return 0, nil, skip, err
	}
	defer led.Close()
	if dsn == "" {
		dsn = "sqlite:" + path
	}
	var target *ledger.Ledger // the ledger of the migrate run that filled the store, if any
	if p, ok := strings.CutPrefix(dsn, "sqlite:"); ok && filepath.Clean(p) != filepath.Clean(path) {
		if isLedger, err := ledger.IsLedger(p); err != nil {
			return 0, nil, skip, err
		} else if isLedger {
			if target, err = ledger.Open(p); err != nil {
				return 0, nil, skip, err
			}
			defer target.Close()
		}
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return 0, nil, skip, err
	}
	defer st.Close()
	var batch []store.User
	unverifiable = map[string]int{}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if target != nil {
			var emails, ids []string
			for _, u := range batch {
				emails, ids = append(emails, strings.ToLower(u.Email)), append(ids, u.UserID)
			}
			settled, err := target.Settled(ctx, emails, ids)
			if err != nil {
				return err
			}
			kept := batch[:0]
			for _, u := range batch {
				row, ok := settled[u.UserID]
				if !ok || u.UserID == "" {
					row, ok = settled[strings.ToLower(u.Email)]
				}
				// A user the run holds for lazy migration under the same user_id is the same
				// user staged again (a no-op); any other match is a person the run settled.
				if !ok || (row.Status == "lazy" && row.UserID == u.UserID) {
					kept = append(kept, u)
					continue
				}
				skip.n++
				if len(skip.first) < 5 {
					skip.first = append(skip.first, fmt.Sprintf("%s at %s (%s at %s in that run)", u.Key, u.Position, row.Status, row.Pos))
				}
			}
			batch = kept
		}
		err := st.Put(ctx, batch)
		n += len(batch)
		batch = batch[:0]
		return err
	}
	err = led.EachLazy(ctx, func(u ledger.User) error {
		key := u.UserID
		if key == "" {
			key = strings.ToLower(u.Email)
		}
		if profile, err := pipeline.DecodeObject(u.Profile); err == nil {
			if format, why := hash.Unverifiable(profile); why != "" {
				unverifiable[format]++
			}
		}
		batch = append(batch, store.User{Key: key, UserID: u.UserID, Email: u.Email, Username: u.Username,
			Profile: u.Profile, Source: source, Position: u.Pos})
		if len(batch) == 1000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, nil, skip, fmt.Errorf("staging lazy users: %w", err)
	}
	return n, unverifiable, skip, nil
}

// skipped are the users stage left out because a migrate run wrote them to import files.
type skipped struct {
	n     int
	first []string // "key (position)" of the first few
}

// String is the message stage prints about them.
func (s skipped) String() string {
	return fmt.Sprintf("skipped %d users that the migrate run whose ledger holds this store settled (wrote to import files, "+
		"or merged into, or holds for lazy migration as, another account's user): staged, they would be imported twice: %s",
		s.n, strings.Join(s.first, ", "))
}

// describeUnverifiable is the warning stage and migrate print for users the hook cannot verify.
func describeUnverifiable(m map[string]int) string {
	formats := make([]string, 0, len(m))
	total := 0
	for f, c := range m {
		formats = append(formats, fmt.Sprintf("%s %d", f, c))
		total += c
	}
	sort.Strings(formats)
	return fmt.Sprintf("%d staged users have a password the hook cannot verify (it answers their logins like a wrong password; they reset after the sweep): %s",
		total, strings.Join(formats, ", "))
}

// newStageCmd is `usher stage`: the migration pipeline, with every user that is not rejected
// held for lazy migration and loaded into a store (for example PostgreSQL behind several hook
// replicas) instead of import files.
func newStageCmd(log *slog.Logger, stdout, stderr io.Writer) *cobra.Command {
	o := defaultOptions()
	var dsn string
	cmd := &cobra.Command{
		Use:   "stage --source KIND --input PATH... --store DSN [options]",
		Short: "Load users (profile and stored password) into the lazy-migration store the hook serves",
		Long: `stage runs the migrate pipeline (same mapping, validation and hash translation) with every
valid user routed to lazy migration, and loads those users into --store (sqlite:PATH or
postgres://…). Rejected records are reported as by migrate. usher hook serve then answers
Auth0's custom-database scripts from the store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" {
				return usagef("stage needs --store")
			}
			work, err := os.MkdirTemp("", "usher-stage-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(work)
			o.Out, o.Passwordless, o.Unimportable, o.Tenant = work, "lazy", "lazy", ""
			o.stageAll = true
			err = runMigrate(cmd.Context(), log, io.Discard, stderr, o, false)
			if err != nil && !errors.Is(err, errRejected) {
				return err
			}
			n, unverifiable, skip, serr := stageLazy(cmd.Context(), work, o.Source, dsn)
			if serr != nil {
				return serr
			}
			fmt.Fprintf(stdout, "staged %d users into the store\n", n)
			if skip.n > 0 {
				fmt.Fprintln(stdout, skip)
			}
			if len(unverifiable) > 0 {
				fmt.Fprintln(stdout, describeUnverifiable(unverifiable))
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dsn, "store", "", "store DSN: sqlite:PATH or postgres://…")
	fs.StringVar(&o.Source, "source", o.Source, "source kind:"+sourceHelp())
	fs.StringArrayVar(&o.Inputs, "input", o.Inputs, "input file or folder (repeatable)")
	fs.StringVar(&o.Mapping, "mapping", o.Mapping, "mapping file laid over the source's built-in mapping")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "app_metadata key of legacy timestamps and provenance")
	fs.StringVar(&o.UnknownFields, "unknown-fields", o.UnknownFields, "fields the mapping does not place: reject, user_metadata or drop")
	fs.StringVar(&o.Duplicates, "duplicates", o.Duplicates, "accounts that share an e-mail: merge (one user) or reject (the first wins)")
	fs.StringVar(&o.SocialOnly, "social-only", o.SocialOnly, "users whose only logins are social: reject or import")
	fs.IntVar(&o.Workers, "workers", o.Workers, "pipeline parallelism (default GOMAXPROCS)")
	fs.StringVar(&o.Progress, "progress", o.Progress, "auto, always or never")
	fs.Var(sourceOpts{&o.SourceOptions}, "source-opt", "source option key=value (repeatable)")
	return cmd
}
