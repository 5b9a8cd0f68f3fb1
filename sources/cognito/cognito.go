// Package cognito is the "cognito" source: Amazon Cognito user pool users, from files or from the
// live ListUsers API, mapped by the built-in cognito mapping (mapping.yaml in this folder).
//
// Files:
//
//   - the output of `aws cognito-idp list-users` ({"Users":[…],"PaginationToken"|"NextToken"}),
//     pretty as the CLI prints it or one page per line (the API's answers saved as NDJSON), folders
//     of such pages, arrays and NDJSON of users, gzip or not; timestamps as the API sends them
//     (epoch seconds) or as AWS CLI v2 prints them (ISO 8601 with an offset);
//   - the user-import CSV of a pool (aws cognito-idp get-csv-header: cognito:username,
//     standard attribute columns, custom:* columns, cognito:mfa_enabled), files ending in .csv,
//     whose values escape a comma as "\," and are not quoted.
//
// With user-pool-id it reads the live pool instead (package cognitoapi: ListUsers pages of at
// most 60 users followed by their PaginationToken, paced and retried), saved to the run's folder
// first. AWS credentials come from the AWS SDK's standard chain (environment, shared files, SSO,
// instance roles), never from an option.
//
// Cognito never exports password hashes: users follow --passwordless (lazy: the hook verifies
// their passwords with AdminInitiateAuth, see LiveLogin).
package cognito

import (
	"context"
	"fmt"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/cognito/cognitoapi"
	"github.com/usher-migrate/usher/sources/csvfile"
	"github.com/usher-migrate/usher/sources/internal/inputs"
	"github.com/usher-migrate/usher/sources/internal/live"
	"github.com/usher-migrate/usher/sources/jsonfile"
)

// Options are the source options (--cognito-<name> flags, source-options in a job file).
var Options = []pipeline.Option{
	{Name: "user-pool-id", Help: "user pool id, e.g. us-east-1_Ab12Cd34E: read the live pool with ListUsers instead of files (AWS credentials from the SDK's standard chain: AWS_ACCESS_KEY_ID…, AWS_PROFILE, SSO, instance roles)"},
	{Name: "region", Help: "the pool's AWS region (default: the pool id's prefix)"},
	{Name: "endpoint", Help: "Cognito API base URL, overriding the region's (a proxy or an emulator)"},
	{Name: "filter", Help: `ListUsers filter, e.g. status = "Enabled" or email ^= "a" (default: every user)`},
	{Name: "page-size", Help: "users per ListUsers page, 1-60", Default: "60"},
	{Name: "rate", Help: "ListUsers requests per second (Cognito allows 30 for the account's every user-listing call)", Default: "5"},
}

// JSONExtensions and CSVExtensions are the file endings read from folders (each also with ".gz"):
// list-users pages and user-import CSV files.
var (
	JSONExtensions = []string{".json", ".ndjson", ".jsonl"}
	CSVExtensions  = []string{".csv"}
)

// Wrappers are the keys of a list-users page whose array holds the users ("Users"; "users" as
// some tools write it).
var Wrappers = []string{"Users", "users"}

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "cognito",
		Description: "Amazon Cognito user pools: list-users pages, user-import CSV, or the live ListUsers API",
		Options:     Options,
		New:         func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		NewMapping:  pipeline.RejectFlagged(NewMapping),
		Live:        &pipeline.LiveInfo{Options: LiveOptions, New: newLive},
		// Cognito never exports password hashes: its users wait for their first login, which the
		// hook checks with AdminInitiateAuth (--passwordless import or reject overrides it).
		Passwordless: "lazy",
	})
}

// New builds the source: the live pool when user-pool-id is set, else the input files. Errors are
// configuration errors.
func New(cfg pipeline.SourceConfig) (pipeline.Source, error) { return newSource(cfg, nil) }

// newSource is New with a hook that adjusts the API client's configuration (tests inject a clock,
// a recording Sleep and static credentials).
func newSource(cfg pipeline.SourceConfig, tweak func(*cognitoapi.Config)) (pipeline.Source, error) {
	o := cfg.Options
	for k := range o {
		if _, ok := pipeline.OptionNamed(Options, k); !ok {
			if l := strings.ToLower(k); strings.Contains(l, "secret") || strings.Contains(l, "key") || strings.Contains(l, "credential") || strings.Contains(l, "token") {
				return nil, fmt.Errorf("cognito source: unknown option %q: AWS credentials come from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID…, AWS_PROFILE, SSO, instance roles), never from an option", k)
			}
			return nil, fmt.Errorf("cognito source: unknown option %q", k)
		}
	}
	if o["user-pool-id"] == "" {
		for k, v := range o {
			if v != "" {
				return nil, fmt.Errorf("cognito source: option %q needs user-pool-id (the live pool)", k)
			}
		}
		return NewFiles(cfg.Inputs, cfg.MaxRecordBytes)
	}
	if len(cfg.Inputs) > 0 {
		return nil, fmt.Errorf("cognito source: give either --input files or the live pool (user-pool-id), not both")
	}
	acfg := cognitoapi.Config{
		PoolID: o["user-pool-id"], Region: o["region"], Endpoint: o["endpoint"], Filter: o["filter"],
		Logf: live.Logf,
	}
	var err error
	if acfg.PageSize, err = live.IntOption("cognito", o, "page-size"); err != nil {
		return nil, err
	}
	if acfg.Rate, err = live.IntOption("cognito", o, "rate"); err != nil {
		return nil, err
	}
	if tweak != nil {
		tweak(&acfg)
	}
	client, err := cognitoapi.New(context.Background(), acfg)
	if err != nil {
		return nil, fmt.Errorf("cognito source: %w", err)
	}
	src, err := live.NewLive("cognito", "users", cfg.WorkDir, cfg.MaxRecordBytes, client.Users, acfg.Logf)
	if err != nil {
		return nil, err
	}
	return &Live{src}, nil
}

// Live is the source of a live pool: ListUsers saved to the run's folder, then read as a file
// (live.Source), each user's attribute list made an object (Objectify) as Files does.
type Live struct {
	*live.Source
}

// Decode parses one spooled user (live.Source.Decode) and makes its attribute list an object.
func (l *Live) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	rec, err := l.Source.Decode(raw)
	if err != nil || rec == nil {
		return rec, err
	}
	return Objectify(rec), nil
}

// Files reads list-users pages (JSON) and user-import CSV files, in the order of their paths. It
// implements pipeline.Source and pipeline.Sizer.
type Files struct {
	parts []filePart
	csv   *csvfile.Source // decodes every CSV row (the parts share its options)
}

type filePart interface {
	pipeline.Source
	pipeline.Sizer
}

// NewFiles lists the files of inputs (folders walked in lexical order, taking JSONExtensions and
// CSVExtensions; "-" is JSON on standard input) and groups consecutive files of one kind. A file
// is CSV when its name, without ".gz", ends in ".csv". Records over maxRecordBytes (0:
// pipeline.DefaultMaxRecordBytes) are flagged record_too_large.
func NewFiles(paths []string, maxRecordBytes int) (*Files, error) {
	files, err := inputs.Expand(paths, append(append([]string{}, JSONExtensions...), CSVExtensions...))
	if err != nil {
		return nil, fmt.Errorf("cognito source: %w", err)
	}
	f := &Files{}
	csvOpts := map[string]string{"escape": "backslash", "delimiter": ","}
	if f.csv, err = csvfile.New(pipeline.SourceConfig{Inputs: []string{"-"}, Options: csvOpts}); err != nil {
		return nil, fmt.Errorf("cognito source: %w", err)
	}
	for i := 0; i < len(files); {
		isCSV := csvName(files[i].Name)
		j := i
		var names []string
		for ; j < len(files) && csvName(files[j].Name) == isCSV; j++ {
			names = append(names, files[j].Name)
		}
		cfg := pipeline.SourceConfig{Inputs: names, MaxRecordBytes: maxRecordBytes}
		if isCSV {
			cfg.Options = csvOpts
			c, err := csvfile.New(cfg)
			if err != nil {
				return nil, fmt.Errorf("cognito source: %w", err)
			}
			f.parts = append(f.parts, c)
		} else {
			js, err := jsonfile.NewWith(cfg, jsonfile.Options{Wrappers: Wrappers, Extensions: JSONExtensions})
			if err != nil {
				return nil, fmt.Errorf("cognito source: %w", err)
			}
			f.parts = append(f.parts, js.FlagTooLarge())
		}
		i = j
	}
	return f, nil
}

// csvName reports whether a file is read as a user-import CSV.
func csvName(name string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, ".gz"))
	for _, ext := range CSVExtensions {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// Read frames the records of every file in order.
func (f *Files) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	for _, p := range f.parts {
		if err := p.Read(ctx, emit); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Decode parses one record: a JSON user strictly (pipeline.DecodeRecord), a CSV row into the
// shape of a ListUsers user (fromCSV); then its attribute list becomes an object (Objectify). A
// record too large to read, or whose text or numbers are
// invalid, or a CSV cell that does not fit, is returned flagged. Safe for concurrent use.
func (f *Files) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	if iss, ok := raw.Aux.(pipeline.Issue); ok {
		return pipeline.Flag(nil, iss), nil
	}
	if _, isCSV := raw.Aux.(*csvfile.Header); !isCSV {
		rec, err := pipeline.DecodeRecord(raw.Data)
		if err != nil {
			return nil, err
		}
		return Objectify(rec), nil
	}
	row, err := f.csv.Decode(raw)
	if err != nil {
		return nil, err
	}
	flags := pipeline.FlaggedIssues(row)
	delete(row, pipeline.FlagKey)
	rec, iss := fromCSV(row)
	if iss != nil {
		flags = append(flags, *iss)
	}
	rec = Objectify(rec)
	if len(flags) > 0 {
		return pipeline.Flag(rec, flags...), nil
	}
	return rec, nil
}

// TotalBytes is the summed size of the input files.
func (f *Files) TotalBytes() int64 {
	var n int64
	for _, p := range f.parts {
		n += p.TotalBytes()
	}
	return n
}

// ReadBytes is how many input bytes have been read.
func (f *Files) ReadBytes() int64 {
	var n int64
	for _, p := range f.parts {
		n += p.ReadBytes()
	}
	return n
}
