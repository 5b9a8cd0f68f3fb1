package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"github.com/usher-migrate/usher/internal/objstore"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/usher-migrate/usher/internal/smallfile"
)

// defaultJob is the job `usher run` runs without an argument: the quick start on testdata/.
//
//go:embed quickstart.yaml
var defaultJob []byte

// jobFile is a job declared in YAML: a command and the same options as its flags.
type jobFile struct {
	Command        string `yaml:"command"`
	migrateOptions `yaml:",inline"`
	exportOptions  `yaml:",inline"`
}

func newRunCmd(log *slog.Logger, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "run [JOB.yaml]",
		Short: "Run a job declared in a YAML file (without one: the built-in quick-start job)",
		Long: `run executes a job file: "command" (migrate or validate) plus the command's options under
their flag names. Relative paths are resolved from the job file's folder. Unknown keys are
errors. Without an argument, run executes the built-in quick-start job, which migrates the sample
users in testdata/quickstart into out/quickstart (run it from the repository root).

Example job:

  command: migrate
  source: csv
  input: [exports/users.csv]
  out: runs/2026-11-22
  passwordless: import
  unimportable: lazy
  source-options: {delimiter: ";"}`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, base := defaultJob, ""
			name := "built-in quick-start job"
			if len(args) == 1 {
				b, err := smallfile.Read(args[0])
				if err != nil {
					return err
				}
				data, base, name = b, filepath.Dir(args[0]), args[0]
			}
			job, err := parseJob(data, base)
			if err != nil {
				return usageError{fmt.Errorf("%s: %w", name, err)}
			}
			switch job.Command {
			case "migrate":
				return runMigrate(cmd.Context(), log, stdout, stderr, job.migrateOptions, false)
			case "validate":
				return runMigrate(cmd.Context(), log, stdout, stderr, job.migrateOptions, true)
			case "export":
				if job.UnknownFields == "" {
					job.UnknownFields = "user_metadata"
				}
				return runExport(cmd.Context(), log, stdout, stderr, job.migrateOptions, job.exportOptions)
			}
			return usageError{fmt.Errorf("%s: command %q: want migrate, validate or export", name, job.Command)}
		},
	}
}

// parseJob decodes a job strictly (unknown keys are errors with their line) and resolves relative
// paths against base.
func parseJob(data []byte, base string) (*jobFile, error) {
	job := &jobFile{migrateOptions: defaultOptions()}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(job); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty job file")
		}
		return nil, err
	}
	if job.Command == "" {
		return nil, errors.New(`missing "command" (migrate, validate or export)`)
	}
	resolve := func(p string) string {
		if p == "" || p == "-" || filepath.IsAbs(p) || base == "" || objstore.IsURL(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	for i, in := range job.Inputs {
		job.Inputs[i] = resolve(in)
	}
	job.Out = resolve(job.Out)
	job.Mapping = resolve(job.Mapping)
	job.Output = resolve(job.Output)
	job.ChangesSince = resolve(job.ChangesSince)
	job.PseudonymKeyFile = resolve(job.PseudonymKeyFile)
	for k, v := range job.SourceOptions {
		if strings.HasSuffix(k, "-file") { // secret-file, token-file
			job.SourceOptions[k] = resolve(v)
		}
	}
	return job, nil
}
