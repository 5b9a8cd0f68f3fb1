package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/usher-migrate/usher/internal/objstore"
	"github.com/usher-migrate/usher/internal/smallfile"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/sinks/export"
	"github.com/usher-migrate/usher/sinks/export/format"
)

// exportOptions are the options of export that migrate does not have (yaml keys = flag names).
type exportOptions struct {
	Format            string   `yaml:"format"`
	Output            string   `yaml:"output"`
	Fields            []string `yaml:"fields"`
	IncludeHashes     bool     `yaml:"include-hashes"`
	Pseudonymize      []string `yaml:"pseudonymize"`
	PseudonymKeyFile  string   `yaml:"pseudonym-key-file"`
	ChangesSince      string   `yaml:"changes-since"`
	Compression       string   `yaml:"compression"`
	CSVEscapeFormulas bool     `yaml:"csv-escape-formulas"`
	BatchRows         int      `yaml:"batch-rows"`
}

func (e *exportOptions) bind(fs *pflag.FlagSet) {
	fs.StringVar(&e.Format, "format", e.Format, "output format: "+strings.Join(format.Formats(), ", "))
	fs.StringVar(&e.Output, "output", e.Output, "file or s3://, gs://, azblob:// object to write; {date}, {time}, {datetime} and {unix} are replaced (UTC)")
	fs.StringSliceVar(&e.Fields, "fields", e.Fields, "columns: path[=column],… (user_metadata.plan, identities[0].connection, app_metadata.gigya.lastLogin=last_login); default: the profile, created_at, updated_at, last_login, metadata as JSON")
	fs.BoolVar(&e.IncludeHashes, "include-hashes", e.IncludeHashes, "also export password_hash and custom_password_hash (left out otherwise)")
	fs.StringSliceVar(&e.Pseudonymize, "pseudonymize", e.Pseudonymize, "columns whose values become keyed HMAC-SHA256 pseudonyms (e.g. email,user_id)")
	fs.StringVar(&e.PseudonymKeyFile, "pseudonym-key-file", e.PseudonymKeyFile, "file holding the pseudonym key (at least 16 bytes; keep it to get the same pseudonyms next time)")
	fs.StringVar(&e.ChangesSince, "changes-since", e.ChangesSince, "an earlier export's path: write only the users inserted, updated or deleted since, with an op column")
	fs.StringVar(&e.Compression, "compression", e.Compression, "parquet: zstd (default), snappy, gzip, none; arrow: zstd, lz4, none (default)")
	fs.IntVar(&e.BatchRows, "batch-rows", e.BatchRows, "rows per Parquet row group / Arrow record batch (default 16384)")
	fs.MarkHidden("batch-rows")
	fs.BoolVar(&e.CSVEscapeFormulas, "csv-escape-formulas", e.CSVEscapeFormulas, "csv: prefix cells that start with = + - @ with an apostrophe (as Auth0's CSV export does)")
}

func newExportCmd(log *slog.Logger, stdout, stderr io.Writer) *cobra.Command {
	o := defaultOptions()
	o.UnknownFields = "user_metadata" // an export keeps every attribute
	var e exportOptions
	cmd := &cobra.Command{
		Use:   "export --source KIND --input PATH... --format csv|ndjson|parquet|arrow --output PATH [options]",
		Short: "Export users to CSV, NDJSON, Parquet or Arrow, in full or as the changes since an earlier export",
		Long: `export reads a source (any legacy export, or --source auth0 for a live tenant), maps every record
with the source's mapping, and writes one row per user:

  PATH                 the export (written under a temporary name, renamed when complete)
  PATH.rejects.ndjson  records that could not be read or mapped
  PATH.report.json     counts (read, exported, rejected) and, with --changes-since, the changes
  PATH.digests         user_id and content digest of every user, for a later --changes-since

Password material is never exported unless --include-hashes. A lock (PATH.lock) keeps two runs
from writing PATH at once, so export can run from cron or a Kubernetes CronJob.`,
		Example: `  usher export --source gigya --input accounts/ --format parquet --output exports/users-{date}.parquet
  usher export --source auth0 --tenant acme.eu.auth0.com --client-id ID --client-secret-file s --format csv --output users.csv
  usher export --source json --input users.ndjson --format ndjson --output today.ndjson --changes-since yesterday.ndjson`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd.Context(), log, stdout, stderr, o, e)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Source, "source", o.Source, "source kind:"+sourceHelp())
	fs.StringArrayVar(&o.Inputs, "input", o.Inputs, "input file or folder, or s3://, gs://, azblob:// object or prefix (repeatable)")
	fs.StringVar(&o.Mapping, "mapping", o.Mapping, "mapping file laid over the source's built-in mapping")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "app_metadata key of legacy timestamps and provenance (default: the mapping's)")
	fs.StringVar(&o.UnknownFields, "unknown-fields", o.UnknownFields, "fields the mapping does not place: user_metadata (default), reject or drop")
	fs.IntVar(&o.Workers, "workers", o.Workers, "pipeline parallelism (default GOMAXPROCS)")
	fs.StringVar(&o.Progress, "progress", o.Progress, "auto, always or never")
	fs.StringVar(&o.Tenant, "tenant", "", "--source auth0: the tenant to export")
	fs.StringVar(&o.ClientID, "client-id", "", "--source auth0: client id of an application with read:users")
	fs.StringVar(&o.ClientSecretFile, "client-secret-file", "", "--source auth0: file holding its client secret (else $"+clientSecretEnv+")")
	fs.StringVar(&o.Connection, "connection", "", "--source auth0: only this connection's users")
	fs.Var(sourceOpts{&o.SourceOptions}, "source-opt", "source option key=value (repeatable)")
	bindMaxRecordBytes(fs, &o)
	e.bind(fs)
	return cmd
}

// runExport runs an export with the options of a command line or a job file.
func runExport(ctx context.Context, log *slog.Logger, stdout, stderr io.Writer, o migrateOptions, e exportOptions) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(exportMemoryLimit)
	}
	// A job file's tenant too: user info in it is refused before anything shows it.
	if err := checkTenantCredentials("tenant", o.Tenant); err != nil {
		return err
	}
	if err := checkTenantCredentials("source-opt tenant", o.SourceOptions["tenant"]); err != nil {
		return err
	}
	if o.Source == "auth0" {
		if o.SourceOptions == nil {
			o.SourceOptions = map[string]string{}
		}
		for k, v := range map[string]string{"tenant": o.Tenant, "client-id": o.ClientID, "client-secret-file": o.ClientSecretFile, "connection": o.Connection} {
			if v != "" {
				o.SourceOptions[k] = v
			}
		}
		o.Tenant, o.ClientID, o.ClientSecretFile, o.Connection = "", "", "", ""
	} else if o.Tenant != "" || o.ClientID != "" || o.Connection != "" {
		return usagef("--tenant, --client-id and --connection are options of --source auth0")
	}
	if err := o.check(false); err != nil {
		return err
	}
	if e.Format == "" || e.Output == "" {
		return usagef("export needs --format (%s) and --output", strings.Join(format.Formats(), ", "))
	}
	if err := oneOf("--format", e.Format, format.Formats()...); err != nil {
		return err
	}
	// A folder, a path ending in '/', or an input of this run is refused before any work.
	output := export.ExpandPath(e.Output, time.Now())
	if err := export.CheckOutput(output, o.Inputs); err != nil {
		return usageError{err}
	}
	if e.ChangesSince != "" && objstore.IsURL(e.ChangesSince) {
		if _, err := objstore.Parse(e.ChangesSince); err != nil {
			return usagef("--changes-since %v", err)
		}
	}
	var key []byte
	if len(e.Pseudonymize) > 0 {
		if e.PseudonymKeyFile == "" {
			return usagef("--pseudonymize needs --pseudonym-key-file")
		}
		b, err := readKeyFile(e.PseudonymKeyFile)
		if err != nil {
			return usagef("--pseudonym-key-file: %v", err)
		}
		key = []byte(strings.TrimSpace(string(b)))
	}
	schema, err := export.NewSchema(export.SchemaConfig{Fields: e.Fields, IncludeHashes: e.IncludeHashes, Pseudonymize: e.Pseudonymize, Key: key})
	if err != nil {
		return usageError{err}
	}
	info, _ := pipeline.LookupSource(o.Source)
	norm, err := info.NewMapping(o.mappingConfig())
	if err != nil {
		return usageError{err}
	}
	work, err := os.MkdirTemp("", "usher-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	src, err := info.New(o.sourceConfig(work))
	if err != nil {
		return err
	}
	if e.BatchRows == 0 {
		// Row groups of 16,384 rows keep the live heap small under usher's memory limit, so the
		// garbage collector (and with it the zstd encoder pool) is not churned: measured faster
		// than 65,536 at a 0.5% larger file.
		e.BatchRows = 16384
	}
	ex, err := export.Open(export.Config{Context: ctx, Output: output, Format: e.Format, Schema: schema, ChangesSince: e.ChangesSince,
		Options: format.Options{Compression: e.Compression, CSVEscapeFormulas: e.CSVEscapeFormulas, BatchRows: e.BatchRows},
		Source:  o.Source, Inputs: o.Inputs})
	if err != nil {
		return err
	}
	runner := &pipeline.Runner{
		Source:  src,
		Workers: o.Workers,
		Writer:  ex,
		Stages: pipeline.Stages{
			Mapping:  norm,
			Prepare:  hash.Prepare,
			Validate: func(map[string]any) ([]pipeline.Issue, []pipeline.Issue) { return nil, nil },
			// A clear-text password is never exported, hashed or not.
			Hash:   func(map[string]any, string) *pipeline.Issue { return nil },
			Encode: ex.Encode,
		},
		// Every mapped user is exported as it is: nothing is held back or stripped here.
		Routing: pipeline.Routing{Passwordless: "import", Unimportable: "import", SocialOnly: "import", Strip: func(map[string]any) {}},
	}
	prog := startProgress(ctx, o.Progress, stderr, log, src, runner)
	runErr := runner.Run(ctx)
	prog.stop()
	if runErr != nil {
		ex.Abort()
		if ctx.Err() != nil {
			return errors.New("interrupted; the previous export at the output path is unchanged")
		}
		return runErr
	}
	rep, err := ex.Close() // removes the temporary files (aborts the uploads) when it fails
	if err != nil {
		return err
	}
	output = objstore.Display(output) // an object-storage URL's options are not shown
	fmt.Fprintf(stdout, "exported %d users to %s\n", rep.Counts.Exported, output)
	if c := rep.Changes; c != nil {
		fmt.Fprintf(stderr, "changes since %s: inserted %d, updated %d, deleted %d, unchanged %d\n", c.Since, c.Inserted, c.Updated, c.Deleted, c.Unchanged)
	}
	if rep.Counts.Rejected > 0 {
		fmt.Fprintf(stderr, "%d records could not be exported: %s\n", rep.Counts.Rejected, output+export.RejectsSuffix)
		return errRejected
	}
	return nil
}

// readKeyFile reads a small secret file: a regular file (a named pipe is refused, not waited on)
// of at most 64 KiB.
func readKeyFile(path string) ([]byte, error) {
	b, err := smallfile.Read(path)
	if err == nil && len(b) > 64<<10 {
		err = fmt.Errorf("%s is larger than 64 KiB; a key file holds one key", path)
	}
	return b, err
}
