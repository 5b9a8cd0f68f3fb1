package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/store"
)

// storeSource reads the users still waiting in a lazy-migration store (for usher sweep).
type storeSource struct{ st store.Store }

// Read emits every waiting user's profile, in key order.
func (s *storeSource) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	n := 0
	return s.st.Waiting(ctx, func(u store.User) error {
		n++
		return emit(pipeline.RawRecord{Pos: pipeline.Position{File: "store:" + u.Key, Index: n}, Data: u.Profile})
	})
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
reset their password) and, with --tenant, uploaded. The swept users are marked in the store once
the files are written and before any upload, so the hook stops answering for them. A user who
logs in through the hook while the files are being written is in a file too: Auth0 refuses that
import as DUPLICATED_USER (reported in rejects.ndjson), so nobody is created twice. For the same
reason sweep refuses --upsert, which would overwrite that user.`,
		Example: `  usher sweep --store sqlite:run1/usher.db --out sweep1 --tenant acme.eu.auth0.com --client-id ID --client-secret-file s --connection Username-Password-Authentication`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" || o.Out == "" {
				return usagef("sweep needs --store and --out")
			}
			if o.Upsert {
				return usagef("sweep refuses --upsert: it would overwrite a user who signed in through the hook while the sweep ran (without it Auth0 refuses that user as DUPLICATED_USER)")
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

// markSwept records, before any upload, that the users the sweep wrote to import files are
// swept: the hook stops answering for them.
func markSwept(ctx context.Context, st store.Store, dir string) error {
	led, err := ledger.Open(filepath.Join(dir, ledger.FileName))
	if err != nil {
		return err
	}
	defer led.Close()
	files, err := led.Files()
	if err != nil {
		return err
	}
	var keys []string
	for _, f := range files {
		users, err := led.FileUsers(f.No)
		if err != nil {
			return err
		}
		for _, u := range users {
			keys = append(keys, strings.TrimPrefix(u.Pos[:strings.LastIndexByte(u.Pos, '#')], "store:"))
		}
	}
	if err := st.MarkSwept(ctx, keys); err != nil {
		return fmt.Errorf("marking swept users: %w", err)
	}
	return nil
}
