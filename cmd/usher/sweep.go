package main

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/usher-migrate/usher/pipeline/store"
)

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
