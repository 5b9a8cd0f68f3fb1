package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/validate"
	"github.com/usher-migrate/usher/sinks/importfiles"
	"github.com/usher-migrate/usher/sources/spool"
	"github.com/usher-migrate/usher/sources/sweep"
)

// firstPassFile, in the output folder, holds the first pass's results while a --duplicates merge
// run's second pass reads them (pipeline.FirstPass); it is removed when the run ends.
const firstPassFile = ".usher-first-pass"

func newMigrateCmd(log *slog.Logger, stdout, stderr io.Writer, dry bool) *cobra.Command {
	o := defaultOptions()
	cmd := &cobra.Command{
		Use:   "migrate --source KIND --input PATH [--input PATH]... --out DIR [options]",
		Short: "Write Auth0 bulk-import files from a legacy export",
		Long: `migrate reads every input, maps each record to an Auth0 user, validates it against Auth0's
bulk-import schema, routes its password and writes:

  DIR/import/users-000001.json  JSON arrays of Auth0 users, each ≤ --max-file-bytes, in source order
  DIR/lazy.ndjson               users held for lazy migration {"key","email","reason","position"}
  DIR/rejects.ndjson            rejected records with reason codes, position, redacted record
  DIR/report.json               counts: read = imported + lazy + rejected
  DIR/report.html               the same as a page (counts, rejects by reason, hash formats, throughput, Auth0 jobs)
  DIR/usher.db                  the ledger: per-user status, files, checkpoint (--resume)`,
		Example: `  usher migrate --source json --input users.ndjson --out run1
  usher migrate --source csv --input export.csv --out run1 --source-opt delimiter=';'
  usher migrate --source json --input users.ndjson --out run1 --resume   # after an interruption`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMigrate(cmd.Context(), log, stdout, stderr, o, dry)
		},
	}
	if dry {
		cmd.Use = "validate --source KIND --input PATH... [--out DIR] [options]"
		cmd.Short = "Dry run: check every record against Auth0's rules, write only the report and rejects"
		cmd.Long = `validate runs the same pipeline as migrate without writing import files or a ledger. With
--out it writes DIR/rejects.ndjson and DIR/report.json; without, it prints the rejects as NDJSON
on standard output and the report on standard error.`
		cmd.Example = `  usher validate --source csv --input export.csv`
	}
	o.bind(cmd.Flags(), true)
	if dry {
		cmd.Flags().MarkHidden("resume")
		cmd.Flags().MarkHidden("fresh")
	}
	return cmd
}

// runMigrate runs migrate (or validate when dry) with checked options.
func runMigrate(ctx context.Context, log *slog.Logger, stdout, stderr io.Writer, o migrateOptions, dry bool) error {
	if log == nil {
		log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if err := o.check(!dry); err != nil {
		return err
	}
	info, _ := pipeline.LookupSource(o.Source)
	var norm pipeline.Mapping = sweep.WithoutPassword{}
	if o.sweepFrom == nil {
		var err error
		if norm, err = info.NewMapping(o.mappingConfig()); err != nil {
			return usageError{err}
		}
	}
	dir := o.Out
	printRejects := false
	if dry && dir == "" {
		tmp, err := os.MkdirTemp("", "usher-validate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir, printRejects = tmp, true
	}
	if o.Fresh {
		if err := removeRun(dir); err != nil {
			return err
		}
	}
	var src pipeline.Source
	var err error
	if o.sweepFrom != nil {
		src = sweep.New(o.sweepFrom, dir, dry, func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) })
	} else {
		scfg := o.sourceConfig(dir)
		if o.Duplicates == "merge" && slices.Contains(scfg.Inputs, "-") {
			// The merge reads the input twice: standard input is saved first.
			if scfg.Inputs, err = spoolStdin(dir, scfg.Inputs); err != nil {
				return err
			}
		}
		if src, err = info.New(scfg); err != nil {
			return err
		}
	}
	namespace := "legacy"
	if ns, ok := norm.(pipeline.Namespaced); ok && ns.Namespace() != "" {
		namespace = ns.Namespace()
	}
	fp, err := o.fingerprint()
	if err != nil {
		return err
	}
	sink, skip, err := importfiles.Open(ctx, importfiles.Config{Dir: dir, Source: o.Source, Inputs: o.Inputs, MaxRejects: o.MaxRejects,
		MaxFileBytes: o.MaxFileBytes, Resume: o.Resume, DryRun: dry, Fingerprint: fp, CheckpointEvery: o.CheckpointEvery,
		Namespace: namespace, MaxUserBytes: o.MaxFileBytes - 3,
		Validate: func(u map[string]any) ([]pipeline.Issue, []pipeline.Issue) {
			return validate.User(u, validate.Options{UsernameMin: o.UsernameMin, UsernameMax: o.UsernameMax})
		}})
	if err != nil {
		return err
	}
	vopt := validate.Options{UsernameMin: o.UsernameMin, UsernameMax: o.UsernameMax}
	runner := &pipeline.Runner{
		Source:  src,
		Workers: o.Workers,
		Skip:    skip,
		Writer:  withFaults(sink),
		Stages: pipeline.Stages{
			Mapping:  norm,
			Validate: func(u map[string]any) ([]pipeline.Issue, []pipeline.Issue) { return validate.User(u, vopt) },
			Prepare:  hash.Prepare,
			Hash:     bcryptStage(o.BcryptCost),
		},
		Routing: pipeline.Routing{
			Passwordless: o.Passwordless,
			Unimportable: o.Unimportable,
			SocialOnly:   o.SocialOnly,
			MaxUserBytes: o.MaxFileBytes - 3, // "[" + user + "]\n"
			Strip:        hash.Strip,
			AllLazy:      o.stageAll,
		},
	}
	if o.Duplicates == "merge" && o.sweepFrom == nil {
		// First pass: which e-mails occur more than once (their accounts are merged). It
		// processes every record and spills the results, which the second pass takes in order
		// instead of processing the records again.
		start := time.Now()
		log.Info("first pass: processing the input to find accounts that share an e-mail (--duplicates merge; --duplicates reject skips this)")
		emails, spill, err := pipeline.FirstPass(ctx, runner, filepath.Join(dir, firstPassFile))
		if err != nil {
			sink.Interrupt(context.WithoutCancel(ctx))
			return err
		}
		defer spill.Remove()
		log.Info("first pass done", "took", time.Since(start).Round(time.Millisecond))
		sink.MergeDuplicates(emails.Repeated)
		runner.Replay = spill
	}
	if skip > 0 {
		log.Info("resuming", "out", dir, "records_done", skip)
	}
	prog := startProgress(ctx, o.Progress, stderr, log, src, runner)
	runErr := runner.Run(ctx)
	prog.stop()
	if runErr != nil {
		if ctx.Err() != nil && !dry {
			if err := sink.Interrupt(context.WithoutCancel(ctx)); err != nil {
				return fmt.Errorf("interrupted, and the checkpoint failed: %w", err)
			}
			return fmt.Errorf("interrupted after %d records; run the same command with --resume to finish", runner.Processed()+skip)
		}
		sink.Interrupt(context.WithoutCancel(ctx))
		return runErr
	}
	rep, err := sink.Close(ctx)
	if err != nil {
		if ctx.Err() != nil && !dry {
			return fmt.Errorf("interrupted while merging accounts that share an e-mail; run the same command with --resume to finish")
		}
		return err
	}
	if !dry && rep.Counts.Lazy > 0 && !o.stageAll {
		n, unverifiable, _, err := stageLazy(ctx, dir, o.Source, "")
		if err != nil {
			return err
		}
		log.Info(fmt.Sprintf("staged %d users for lazy migration: usher hook serve --store sqlite:%s", n, filepath.Join(dir, ledger.FileName)))
		if len(unverifiable) > 0 {
			log.Warn(describeUnverifiable(unverifiable))
		}
	}
	if o.Tenant != "" {
		if rep, err = upload(ctx, log, stderr, o, dir, rep); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted during the upload; run the same command with --resume to finish it")
			}
			return err
		}
	}
	if printRejects {
		f, err := os.Open(filepath.Join(dir, importfiles.RejectsFile))
		if err == nil {
			io.Copy(stdout, f)
			f.Close()
		}
	}
	c := rep.Counts
	if dry {
		where := "  (" + dir + ")"
		if printRejects { // the outputs are in a temporary folder: only the rejects were shown
			where = ""
			if c.Rejected > 0 {
				where = "  (rejects above)"
			}
		}
		fmt.Fprintf(stderr, "dry run: read %d records: importable %d, lazy %d, rejected %d%s%s\n",
			c.Read, c.Imported, c.Lazy, c.Rejected, mergedNote(c), where)
	} else {
		fmt.Fprintf(stderr, "read %d records: imported %d (%d files), lazy %d, rejected %d%s  %s\n",
			c.Read, c.Imported, len(rep.Files), c.Lazy, c.Rejected, mergedNote(c), dir)
	}
	if c.Read != c.Imported+c.Lazy+c.Rejected+c.Merged {
		return fmt.Errorf("accounting broken: read %d != imported %d + lazy %d + rejected %d + merged %d", c.Read, c.Imported, c.Lazy, c.Rejected, c.Merged)
	}
	if c.Rejected > 0 {
		return errRejected
	}
	return nil
}

// mergedNote is the summary's mention of merged accounts, when there are any.
func mergedNote(c runreport.Counts) string {
	if c.Merged == 0 {
		return ""
	}
	return fmt.Sprintf(", merged %d (into the user of another account with their e-mail)", c.Merged)
}

// bcryptStage hashes a clear-text password into the user's password_hash.
func bcryptStage(cost int) func(map[string]any, string) *pipeline.Issue {
	return func(user map[string]any, plaintext string) *pipeline.Issue {
		h, err := hash.Bcrypt(plaintext, cost)
		if err != nil {
			return &pipeline.Issue{Code: pipeline.CodeInvalidHash, Field: "password", Message: err.Error()}
		}
		user["password_hash"] = h
		return nil
	}
}

// removeRun deletes a previous run's outputs from dir (only the files usher writes).
func removeRun(dir string) error {
	var errs []error
	for _, name := range []string{ledger.FileName, ledger.FileName + "-wal", ledger.FileName + "-shm",
		importfiles.LazyFile, importfiles.RejectsFile, importfiles.ReportName, runreport.HTMLName, importfiles.ImportDir, ".usher-dedup", spool.Dir} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// spoolStdin saves standard input to DIR/fetched/stdin (mode 0600) and returns inputs with "-"
// replaced by that file, so that a run which reads its input twice (--duplicates merge) can. A
// resumed run reuses the file saved by the interrupted one.
func spoolStdin(dir string, inputs []string) ([]string, error) {
	path := filepath.Join(dir, spool.Dir, "stdin")
	if _, err := os.Lstat(path); err != nil {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := nofollow.OpenOutput(path+".part", os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
		if err != nil {
			return nil, fmt.Errorf("saving standard input: %w", err)
		}
		_, err = io.Copy(f, os.Stdin)
		if err == nil {
			err = f.Sync()
		}
		if err = errors.Join(err, f.Close()); err == nil {
			err = os.Rename(path+".part", path)
		}
		if err != nil {
			return nil, fmt.Errorf("saving standard input: %w", err)
		}
	}
	out := slices.Clone(inputs)
	for i, in := range out {
		if in == "-" {
			out[i] = path
		}
	}
	return out, nil
}
