package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	json "github.com/goccy/go-json"
	"github.com/spf13/pflag"

	"github.com/usher-migrate/usher/internal/objstore"
	"github.com/usher-migrate/usher/internal/smallfile"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/store"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// migrateOptions are the options of migrate and validate, from flags or a job file (same names).
type migrateOptions struct {
	Source       string   `yaml:"source" json:"source"`
	Inputs       []string `yaml:"input" json:"input"`
	Out          string   `yaml:"out" json:"-"`
	Passwordless string   `yaml:"passwordless" json:"passwordless"`
	Unimportable string   `yaml:"unimportable" json:"unimportable"`
	// SocialOnly routes users whose only logins are social or enterprise: reject or import.
	SocialOnly string `yaml:"social-only" json:"social_only"`
	// Duplicates is the policy for accounts sharing an e-mail: merge (one Auth0 user) or reject.
	Duplicates    string            `yaml:"duplicates" json:"duplicates"`
	MaxFileBytes  int               `yaml:"max-file-bytes" json:"max_file_bytes"`
	Workers       int               `yaml:"workers" json:"-"`
	Resume        bool              `yaml:"resume" json:"-"`
	Fresh         bool              `yaml:"fresh" json:"-"`
	Progress      string            `yaml:"progress" json:"-"`
	Namespace     string            `yaml:"namespace" json:"namespace"`
	UnknownFields string            `yaml:"unknown-fields" json:"unknown_fields"`
	BcryptCost    int               `yaml:"bcrypt-cost" json:"bcrypt_cost"`
	UsernameMin   int               `yaml:"username-min" json:"username_min"`
	UsernameMax   int               `yaml:"username-max" json:"username_max"`
	SourceOptions map[string]string `yaml:"source-options" json:"source_options"`
	Mapping       string            `yaml:"mapping" json:"mapping"`
	// PasswordFormat declares the format of stored hash strings that cannot be told from their
	// text (hex_md5, nthash, postgres_md5, …); also --source-opt password-format=NAME.
	PasswordFormat string `yaml:"password-format" json:"password_format"`
	// MaxRecordBytes is the largest record a source reads: a json or csv record, a gigya, okta or
	// auth0 user from files or a live fetch, a whole stormpath account or customData file (0:
	// the default, pipeline.DefaultMaxRecordBytes, which check also turns into 0 so fingerprints
	// stay as they were without the flag).
	MaxRecordBytes int `yaml:"max-record-bytes" json:"max_record_bytes,omitempty"`
	// MaxRejects stops a run whose input is evidently not of its kind: 0 is the default rule
	// (more than 1,000 rejected and over half of those read), N > 0 more than N rejected, a
	// negative value no limit. Not part of the fingerprint: raising it and resuming is the way on.
	MaxRejects int64 `yaml:"max-rejects" json:"-"`
	// MappingSum is the SHA-256 of the --mapping file, so a resume refuses a changed mapping.
	MappingSum string `yaml:"-" json:"mapping_sum"`
	// Upload options: the run's import files become Auth0 import jobs. They are not part of the
	// fingerprint: a finished run may be resumed with them to upload it.
	Tenant              string `yaml:"tenant" json:"-"`
	ClientID            string `yaml:"client-id" json:"-"`
	ClientSecretFile    string `yaml:"client-secret-file" json:"-"`
	Connection          string `yaml:"connection" json:"-"`
	ConnectionID        string `yaml:"connection-id" json:"-"`
	Upsert              bool   `yaml:"upsert" json:"-"`
	SendCompletionEmail bool   `yaml:"send-completion-email" json:"-"`
	ExternalID          string `yaml:"external-id" json:"-"`
	MaxJobs             int    `yaml:"max-jobs" json:"-"`
	// PollMin is the shortest wait between two looks at a job (a hidden tuning flag).
	PollMin time.Duration `yaml:"poll-min" json:"-"`
	// stageAll is set by usher stage: every valid user is lazy and staged by the caller.
	stageAll bool
	// sweepFrom is set by usher sweep: the records are the store's waiting users.
	sweepFrom store.Store
	// liveFlags holds the --<source>-<option> flags, merged into SourceOptions by check.
	liveFlags map[string]*string
	// CheckpointEvery is how often the ledger checkpoint moves (a hidden tuning flag).
	CheckpointEvery time.Duration `yaml:"checkpoint-every" json:"-"`
}

func defaultOptions() migrateOptions {
	return migrateOptions{
		Unimportable: "lazy",
		SocialOnly:   "reject",
		Duplicates:   "merge",
		MaxFileBytes: importfiles.DefaultMaxFileBytes,
		Progress:     "auto",
		BcryptCost:   10,
		UsernameMin:  1,
		UsernameMax:  15,
		MaxJobs:      2,
	}
}

// bind registers the flags of migrate/validate on fs.
func (o *migrateOptions) bind(fs *pflag.FlagSet, withOut bool) {
	fs.StringVar(&o.Source, "source", o.Source, "source kind:"+sourceHelp())
	fs.StringArrayVar(&o.Inputs, "input", o.Inputs, "input file or folder (repeatable; - for stdin)")
	if withOut {
		fs.StringVar(&o.Out, "out", o.Out, "output folder (import files, lazy.ndjson, rejects.ndjson, report.json, usher.db)")
		fs.BoolVar(&o.Resume, "resume", o.Resume, "continue the interrupted run recorded in --out")
		fs.BoolVar(&o.Fresh, "fresh", o.Fresh, "discard a previous run's outputs in --out and start over")
	}
	fs.StringVar(&o.Passwordless, "passwordless", o.Passwordless, "users without a password: import (they reset), lazy or reject (default import; lazy for the sources that never export hashes: cognito)")
	fs.StringVar(&o.Unimportable, "unimportable", o.Unimportable, "users whose hash Auth0 cannot import: lazy, import (without the password) or reject")
	fs.StringVar(&o.SocialOnly, "social-only", o.SocialOnly, "users whose only logins are social or enterprise (no password): reject (code social_only: imported, their next social login would make a second account) or import (then --passwordless decides)")
	fs.StringVar(&o.Duplicates, "duplicates", o.Duplicates, "accounts that share an e-mail: merge (one Auth0 user keeping every account's data and password) or reject (the first wins, later ones duplicate_email)")
	fs.IntVar(&o.MaxFileBytes, "max-file-bytes", o.MaxFileBytes, "import file size cap in bytes (Auth0 rejects uploads above 512000)")
	fs.IntVar(&o.Workers, "workers", o.Workers, "pipeline parallelism (default GOMAXPROCS)")
	fs.StringVar(&o.Progress, "progress", o.Progress, "auto (bar on a terminal, log lines otherwise), always (log lines) or never")
	fs.StringVar(&o.Mapping, "mapping", o.Mapping, "mapping file laid over the source's built-in mapping (see `usher mapping`)")
	fs.StringVar(&o.PasswordFormat, "password-format", o.PasswordFormat, "format of stored password hashes that cannot be told from their text, by passlib's names: "+
		"hex_md5, hex_sha1, hex_sha256, hex_sha512, hex_md4, nthash, postgres_md5, mysql323, des_crypt, oracle10 (also --source-opt password-format=NAME; default: recognise self-identifying formats)")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "app_metadata key that holds legacy timestamps and provenance (default: the mapping's, named after the source: gigya, okta, keycloak, …; legacy for json and csv)")
	fs.StringVar(&o.UnknownFields, "unknown-fields", o.UnknownFields, "fields the mapping does not place: reject, user_metadata or drop (default: the mapping's, else reject)")
	fs.IntVar(&o.BcryptCost, "bcrypt-cost", o.BcryptCost, "bcrypt cost for clear-text passwords (a CSV password column)")
	fs.IntVar(&o.UsernameMin, "username-min", o.UsernameMin, "shortest username the connection allows")
	fs.IntVar(&o.UsernameMax, "username-max", o.UsernameMax, "longest username the connection allows (Auth0 default 15, up to 128)")
	bindMaxRecordBytes(fs, o)
	fs.Int64Var(&o.MaxRejects, "max-rejects", o.MaxRejects, "stop when more than N records are rejected (0: when more than 1000 are and they are over half of those read — an input that is not of its kind; -1: never); raise it and --resume to go on")
	if withOut {
		fs.StringVar(&o.Tenant, "tenant", o.Tenant, "upload the import files to this Auth0 tenant: a domain (acme.eu.auth0.com) or a base URL (http://127.0.0.1:8080 for usher sandbox)")
		fs.StringVar(&o.ClientID, "client-id", o.ClientID, "client id of the machine-to-machine application (scopes create:users, read:users, read:connections)")
		fs.StringVar(&o.ClientSecretFile, "client-secret-file", o.ClientSecretFile, "file holding its client secret (else $"+clientSecretEnv+")")
		fs.StringVar(&o.Connection, "connection", o.Connection, "database connection to import into, by name")
		fs.StringVar(&o.ConnectionID, "connection-id", o.ConnectionID, "database connection to import into, by id (con_…)")
		fs.BoolVar(&o.Upsert, "upsert", o.Upsert, "update users that already exist (matched by email) instead of failing them")
		fs.BoolVar(&o.SendCompletionEmail, "send-completion-email", o.SendCompletionEmail, "have Auth0 email the tenant admins when each job ends (Auth0's default is on; usher's is off)")
		fs.StringVar(&o.ExternalID, "external-id", o.ExternalID, "external_id given to every import job")
		fs.IntVar(&o.MaxJobs, "max-jobs", o.MaxJobs, "import jobs pending or processing at once (Auth0 allows 2 per tenant)")
		fs.DurationVar(&o.PollMin, "poll-min", 200*time.Millisecond, "shortest wait between two looks at an import job")
		fs.MarkHidden("poll-min")
	}
	fs.DurationVar(&o.CheckpointEvery, "checkpoint-every", 2*time.Second, "how often the ledger records a resumable checkpoint")
	fs.MarkHidden("checkpoint-every")
	fs.Var(sourceOpts{&o.SourceOptions}, "source-opt", "source option key=value (repeatable):"+sourceOptionHelp())
	// Every option of every source is also a flag --<source>-<option> (--gigya-api-key, …).
	o.liveFlags = map[string]*string{}
	for _, name := range pipeline.SourceNames() {
		info, _ := pipeline.LookupSource(name)
		for _, opt := range info.Options {
			flag := name + "-" + opt.Name
			o.liveFlags[flag] = fs.String(flag, "", name+" source: "+opt.Usage())
		}
	}
}

// maxRecordBytesSources are the source kinds that apply --max-record-bytes (files and live
// fetches alike); another kind added through the registry is refused the flag.
var maxRecordBytesSources = []string{"json", "csv", "gigya", "okta", "auth0", "stormpath", "firebase", "cognito", "keycloak"}

// maxRecordBytesCap is the largest --max-record-bytes: the framers keep a record whole below it,
// and the pipeline holds hundreds of records at once.
const maxRecordBytesCap = 64 << 20

// bindMaxRecordBytes registers --max-record-bytes.
func bindMaxRecordBytes(fs *pflag.FlagSet, o *migrateOptions) {
	fs.IntVar(&o.MaxRecordBytes, "max-record-bytes", o.MaxRecordBytes, fmt.Sprintf(
		"the largest record read, in bytes (a JSON value, NDJSON line or CSV row; a live fetch's user; a whole stormpath account or customData file); a larger one is rejected record_too_large unread (default %d, 1 MiB; at most %d)",
		pipeline.DefaultMaxRecordBytes, maxRecordBytesCap))
}

// sourceConfig is the configuration of the run's source, reading into workDir.
func (o *migrateOptions) sourceConfig(workDir string) pipeline.SourceConfig {
	return pipeline.SourceConfig{Inputs: o.Inputs, Options: o.SourceOptions, WorkDir: workDir, MaxRecordBytes: o.MaxRecordBytes}
}

// sourceOpts is the --source-opt flag: repeatable key=value pairs, split at the first '=' only, so
// values may hold commas (json-columns=app_metadata,user_metadata).
type sourceOpts struct{ m *map[string]string }

func (s sourceOpts) String() string {
	if s.m == nil || len(*s.m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(*s.m))
	for k, v := range *s.m {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

func (s sourceOpts) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want key=value", v)
	}
	if *s.m == nil {
		*s.m = map[string]string{}
	}
	(*s.m)[k] = val
	return nil
}

func (s sourceOpts) Type() string { return "key=value" }

// sourceHelp lists the registered sources with their descriptions.
func sourceHelp() string {
	var b strings.Builder
	for _, name := range pipeline.SourceNames() {
		info, _ := pipeline.LookupSource(name)
		fmt.Fprintf(&b, "\n  %-6s %s", name, info.Description)
	}
	return b.String()
}

// sourceOptionHelp lists each source's options.
func sourceOptionHelp() string {
	var b strings.Builder
	for _, name := range pipeline.SourceNames() {
		info, _ := pipeline.LookupSource(name)
		opts := slices.Clone(info.Options)
		slices.SortFunc(opts, func(a, b pipeline.Option) int { return strings.Compare(a.Name, b.Name) })
		for _, opt := range opts {
			fmt.Fprintf(&b, "\n  %s %s: %s", name, opt.Name, opt.Usage())
		}
	}
	return b.String()
}

// usageError marks errors that exit with status 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// takePasswordFormat moves --source-opt password-format=NAME (an option of every source, read by
// its mapping) into PasswordFormat and checks the name.
func (o *migrateOptions) takePasswordFormat() error {
	if v, ok := o.SourceOptions["password-format"]; ok {
		if o.PasswordFormat != "" && o.PasswordFormat != v {
			return usagef("--password-format %s and --source-opt password-format=%s disagree", o.PasswordFormat, v)
		}
		o.PasswordFormat = v
		delete(o.SourceOptions, "password-format")
	}
	if o.PasswordFormat == "" {
		return nil
	}
	for _, f := range legacy.DeclaredFormats() {
		if f == o.PasswordFormat {
			return nil
		}
	}
	return usagef("password format %q: want one of %s", o.PasswordFormat, strings.Join(legacy.DeclaredFormats(), ", "))
}

// mappingConfig is the configuration of the source's mapping.
func (o *migrateOptions) mappingConfig() pipeline.MappingConfig {
	return pipeline.MappingConfig{Namespace: o.Namespace, UnknownFields: o.UnknownFields, File: o.Mapping, PasswordFormat: o.PasswordFormat}
}

// check validates the options once; errors are usage errors.
func (o *migrateOptions) check(needOut bool) error {
	if o.Source == "" {
		return usagef("--source is required (one of %s)", strings.Join(pipeline.SourceNames(), ", "))
	}
	if _, err := pipeline.LookupSource(o.Source); err != nil && o.sweepFrom == nil {
		return usageError{err}
	}
	for flag, v := range o.liveFlags {
		if *v == "" {
			continue
		}
		source, key, _ := strings.Cut(flag, "-")
		if source != o.Source {
			return usagef("--%s is an option of the %s source, not of %s", flag, source, o.Source)
		}
		if o.SourceOptions == nil {
			o.SourceOptions = map[string]string{}
		}
		o.SourceOptions[key] = *v
	}
	if err := o.takePasswordFormat(); err != nil {
		return err
	}
	if err := checkTenantCredentials("tenant", o.Tenant); err != nil {
		return err
	}
	if len(o.Inputs) == 0 && len(o.SourceOptions) == 0 {
		return usagef("--input is required")
	}
	for _, in := range o.Inputs {
		if objstore.IsURL(in) { // credentials in the URL are refused before anything shows it
			if _, err := objstore.Parse(in); err != nil {
				return usagef("--input %v", err)
			}
		}
	}
	if o.Mapping != "" {
		b, err := smallfile.Read(o.Mapping)
		if err != nil {
			return usagef("--mapping: %v", err)
		}
		sum := sha256.Sum256(b)
		o.MappingSum = hex.EncodeToString(sum[:])
	}
	if needOut && o.Out == "" {
		return usagef("--out is required")
	}
	if o.Resume && o.Fresh {
		return usagef("--resume and --fresh exclude each other")
	}
	if o.Passwordless == "" {
		o.Passwordless = "import"
		if info, err := pipeline.LookupSource(o.Source); err == nil && info.Passwordless != "" {
			o.Passwordless = info.Passwordless
		}
	}
	if err := oneOf("--passwordless", o.Passwordless, "import", "lazy", "reject"); err != nil {
		return err
	}
	if err := oneOf("--unimportable", o.Unimportable, "lazy", "import", "reject"); err != nil {
		return err
	}
	if err := oneOf("--social-only", o.SocialOnly, "reject", "import"); err != nil {
		return err
	}
	if err := oneOf("--duplicates", o.Duplicates, "merge", "reject"); err != nil {
		return err
	}
	if err := oneOf("--progress", o.Progress, "auto", "always", "never"); err != nil {
		return err
	}
	if err := oneOf("--unknown-fields", o.UnknownFields, "", "reject", "user_metadata", "drop"); err != nil {
		return err
	}
	if o.MaxFileBytes < 1024 || o.MaxFileBytes > importfiles.HardMaxFileBytes {
		return usagef("--max-file-bytes %d: must be between 1024 and %d (Auth0 answers 413 above %d)", o.MaxFileBytes, importfiles.HardMaxFileBytes, importfiles.HardMaxFileBytes)
	}
	if o.BcryptCost < 4 || o.BcryptCost > 31 {
		return usagef("--bcrypt-cost %d: must be between 4 and 31", o.BcryptCost)
	}
	if o.UsernameMin < 1 || o.UsernameMax > 128 || o.UsernameMin > o.UsernameMax {
		return usagef("--username-min/--username-max: need 1 ≤ min ≤ max ≤ 128")
	}
	if o.Workers < 0 {
		return usagef("--workers must be positive")
	}
	if o.MaxRecordBytes == pipeline.DefaultMaxRecordBytes {
		o.MaxRecordBytes = 0
	}
	if o.MaxRecordBytes != 0 {
		if !slices.Contains(maxRecordBytesSources, o.Source) {
			return usagef("--max-record-bytes applies to the %s sources, not %s", strings.Join(maxRecordBytesSources, ", "), o.Source)
		}
		if o.MaxRecordBytes < 1024 || o.MaxRecordBytes > maxRecordBytesCap {
			return usagef("--max-record-bytes %d: must be between 1024 and %d", o.MaxRecordBytes, maxRecordBytesCap)
		}
	}
	if o.Tenant != "" {
		if !needOut {
			return usagef("--tenant uploads; validate does not")
		}
		if o.ClientID == "" {
			return usagef("--tenant needs --client-id")
		}
		if (o.Connection == "") == (o.ConnectionID == "") {
			return usagef("--tenant needs exactly one of --connection and --connection-id")
		}
		if o.MaxJobs < 1 {
			return usagef("--max-jobs must be at least 1")
		}
	} else if o.ClientID != "" || o.Connection != "" || o.ConnectionID != "" || o.Upsert || o.ExternalID != "" {
		return usagef("--client-id, --connection, --connection-id, --upsert and --external-id need --tenant")
	}
	return nil
}

func oneOf(flag, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return usagef("%s %q: want one of %s", flag, v, strings.Join(allowed, ", "))
}

// fingerprint identifies what a run produces: the inputs (names and sizes) and every option that
// changes the output. Resuming with a different fingerprint is refused.
func (o *migrateOptions) fingerprint() (string, error) {
	type input struct {
		Path string
		Size int64
	}
	var ins []input
	for _, p := range o.Inputs {
		if p == "-" {
			ins = append(ins, input{Path: "-"})
			continue
		}
		if objstore.IsURL(p) { // the objects it names and their sizes
			loc, err := objstore.Parse(p)
			if err != nil {
				return "", err
			}
			objs, err := objstore.Expand(context.Background(), loc, nil)
			if err != nil {
				return "", err
			}
			for _, obj := range objs {
				ins = append(ins, input{obj.Loc.String(), obj.Size})
			}
			continue
		}
		err := filepath.Walk(p, func(path string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if !info.IsDir() {
				ins = append(ins, input{path, info.Size()})
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	sort.Slice(ins, func(i, j int) bool { return ins[i].Path < ins[j].Path })
	b, err := json.Marshal(struct {
		Opts   *migrateOptions
		Inputs []input
	}{o, ins})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
