package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/store"
)

// Files in a sweep's --out folder that tie it to the users it took.
const (
	sweepIDFile    = "sweep.id"      // the sweep's id, recorded on the users it takes
	sweepTakenFile = "sweep.claimed" // present once every waiting user has been taken
)

// storeSource reads the users of a sweep (usher sweep). Before the first record it takes every
// user still waiting in the store (marks them swept with the sweep's id, so the hook stops
// answering for them from that moment), then emits exactly the users it took, in key order. The
// id lives in the output folder, so a resumed (or --fresh) sweep reads the same users in the same
// order; users who become waiting later belong to the next sweep, in another folder. A dry run
// (validate) takes nobody and reads the waiting users.
type storeSource struct {
	st  store.Store
	dir string
	dry bool
	log *slog.Logger
}

// Read emits the sweep's users' profiles, in key order.
func (s *storeSource) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	n := 0
	send := func(u store.User) error {
		n++
		return emit(pipeline.RawRecord{Pos: pipeline.Position{File: "store:" + u.Key, Index: n}, Data: u.Profile})
	}
	if s.dry {
		return s.st.Waiting(ctx, send)
	}
	id, err := s.take(ctx)
	if err != nil {
		return err
	}
	return s.st.Swept(ctx, id, send)
}

// take returns the sweep's id, creating it and taking every waiting user the first time.
func (s *storeSource) take(ctx context.Context) (string, error) {
	idPath := filepath.Join(s.dir, sweepIDFile)
	b, err := os.ReadFile(idPath)
	id := strings.TrimSpace(string(b))
	switch {
	case errors.Is(err, os.ErrNotExist):
		var r [12]byte
		rand.Read(r[:])
		id = "sweep-" + hex.EncodeToString(r[:])
		if err := os.WriteFile(idPath, []byte(id+"\n"), 0o600); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	case id == "":
		return "", fmt.Errorf("%s is empty", idPath)
	}
	takenPath := filepath.Join(s.dir, sweepTakenFile)
	if _, err := os.Stat(takenPath); err == nil {
		return id, nil
	}
	var batch []string
	taken := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.st.MarkSwept(ctx, id, batch)
		taken += len(batch)
		batch = batch[:0]
		return err
	}
	err = s.st.Waiting(ctx, func(u store.User) error {
		if batch = append(batch, u.Key); len(batch) == 1000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return "", fmt.Errorf("sweep %s: taking the waiting users: %w", id, err)
	}
	if err := os.WriteFile(takenPath, nil, 0o600); err != nil {
		return "", err
	}
	s.log.Info(fmt.Sprintf("sweep %s: took %d waiting users; the hook no longer answers for them", id, taken))
	return id, nil
}

// Decode parses a stored profile.
func (s *storeSource) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	return pipeline.DecodeObject(raw.Data)
}

// withoutPassword is the sweep's mapping: the stored Auth0-shaped user, its password material
// removed (swept users reset their password).
type withoutPassword struct{}

func (withoutPassword) Normalize(rec map[string]any) (*pipeline.Normalized, []pipeline.Issue) {
	delete(rec, "password_hash")
	delete(rec, "custom_password_hash")
	delete(rec, pipeline.LegacyPasswordKey)
	delete(rec, pipeline.MergedPasswordsKey)
	return &pipeline.Normalized{User: rec}, nil
}

// newSweepCmd is `usher sweep`: the users who never logged in through the hook become import
// files (and, with --tenant, import jobs), without their password.
func newSweepCmd(log *slog.Logger, stdout, stderr io.Writer) *cobra.Command {
	o := defaultOptions()
	var dsn string
	cmd := &cobra.Command{
		Use:   "sweep --store DSN --out DIR [upload options]",
		Short: "Import the users still waiting for lazy migration, without their password",
		Long: `sweep ends a lazy migration: every user of --store that has not logged in through the hook is
written to import files in --out (as migrate writes them, without password material: those users
reset their password) and, with --tenant, uploaded. Before writing anything the sweep takes every
waiting user in one pass (marks them swept with the sweep's id, recorded in --out/sweep.id), so
from that moment the hook stops answering for them and no user is both imported and lazily
migrated. A resumed sweep reads exactly the users it took; users who become waiting later (a new
stage) belong to the next sweep, in another folder. sweep refuses --upsert, which could overwrite
a user Auth0 already holds.`,
		Example: `  usher sweep --store sqlite:run1/usher.db --out sweep1 --tenant acme.eu.auth0.com --client-id ID --client-secret-file s --connection Username-Password-Authentication`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" || o.Out == "" {
				return usagef("sweep needs --store and --out")
			}
			if o.Upsert {
				return usagef("sweep refuses --upsert: it could overwrite a user Auth0 already holds (without it Auth0 refuses such a user as DUPLICATED_USER)")
			}
			ctx := cmd.Context()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			// The store stands in for the inputs (the fingerprint records it; nothing is walked).
			o.Source, o.Inputs, o.SourceOptions, o.Passwordless = "sweep", nil, map[string]string{"store": dsn}, "import"
			o.sweepFrom = st
			return runMigrate(ctx, log, stdout, stderr, o, false)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dsn, "store", "", "store DSN: sqlite:PATH or postgres://…")
	o.bind(fs, true)
	fs.MarkHidden("source")
	fs.MarkHidden("input")
	return cmd
}
