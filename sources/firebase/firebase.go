// Package firebase is the "firebase" source: Firebase Authentication users, from the files of
// `firebase auth:export` (JSON {"users":[…]}, or its headerless CSV; folders, gzip) or from the
// live Identity Toolkit API (package firebaseapi: accounts:batchGet pages with a service
// account's OAuth token), mapped by the built-in firebase mapping (mapping.yaml in this folder).
//
// Passwords are Firebase's modified scrypt (package firebasehash): the user's passwordHash and
// salt, with the project's password hash parameters (--firebase-hash-config FILE, or read from
// the API on a live read), which the source adds to each hashed user under
// firebasehash.ParamsKey. Auth0 cannot import them: these users migrate lazily, and the hook
// verifies the stored hash. A user with a hash and no parameters given stops the read with a
// configuration error (every user of a project shares one configuration, so a per-user reject
// would reject every password user).
package firebase

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/firebase/firebaseapi"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
	"github.com/usher-migrate/usher/sources/internal/inputs"
	"github.com/usher-migrate/usher/sources/internal/live"
	"github.com/usher-migrate/usher/sources/jsonfile"
)

// CredentialsEnv names the service-account key file when credentials-file is not given (the
// variable Google's client libraries read).
const CredentialsEnv = "GOOGLE_APPLICATION_CREDENTIALS"

// NoHashConfig is the hash-config value that migrates hashed users without their passwords.
const NoHashConfig = "none"

// Options are the source options (--firebase-<name> flags, source-options in a job file).
var Options = []pipeline.Option{
	{Name: "hash-config", Help: "file holding the project's password hash parameters as the console shows them " +
		"(Authentication → Users → ⋮ → Password hash parameters: hash_config { … }) or as JSON; \"none\" migrates hashed users " +
		"without their passwords (--passwordless decides); a live read asks the API when it is not given"},
	{Name: "format", Help: "json or csv: the format of standard input and of named files whose extension says neither (default: json for stdin, else told from the content)"},
	{Name: "project", Help: "Firebase (Google Cloud) project id: read the live Identity Toolkit API (accounts:batchGet) instead of files " +
		"(default with credentials-file: its project_id)"},
	{Name: "credentials-file", Help: "service-account key file (JSON) for the live API (else $" + CredentialsEnv + "); never a flag value"},
	{Name: "tenant", Help: "Identity Platform tenant id: read that tenant's users"},
	{Name: "url", Help: "Identity Toolkit base URL, overriding https://identitytoolkit.googleapis.com (a proxy or an emulator)"},
	{Name: "page-size", Help: "users per accounts:batchGet page, 1-1000", Default: "1000"},
}

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "firebase",
		Description: "Firebase Authentication users: firebase auth:export JSON or CSV, folders, or the live Identity Toolkit API",
		Options:     Options,
		New:         func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		NewMapping:  pipeline.RejectFlagged(mappings.For("firebase")),
		Live:        &pipeline.LiveInfo{Options: LiveOptions, New: newLive},
	})
}

// Extensions are the file endings taken from folders: the JSON and CSV of firebase auth:export,
// and NDJSON (a live fetch's spool, API pages saved one per line).
var Extensions = []string{".json", ".ndjson", ".jsonl", ".csv"}

// Source reads Firebase users from files or the live API. It implements pipeline.Source and
// pipeline.Sizer.
type Source struct {
	// files mode
	files  []inputs.File
	kinds  []string           // "json" or "csv", per file
	jsons  []*jsonfile.Source // per file (nil for CSV files)
	max    int                // the record size limit
	csvIn  inputs.Counter     // bytes of CSV files read
	remote *live.Source       // live mode (files nil)
	params atomic.Pointer[firebasehash.Params]
	// ignore drops hashes (hash-config none); fetchParams reads the parameters from the API
	// before a live read when hash-config was not given.
	ignore      bool
	fetchParams func(ctx context.Context) (firebasehash.Params, error)
	logf        func(format string, args ...any)
}

// New builds the source: the live API when project or credentials-file is set, else the input
// files. Errors are configuration errors; none contains a secret (the signer key, the private
// key).
func New(cfg pipeline.SourceConfig) (*Source, error) { return newSource(cfg, nil) }

// newSource is New with a hook that adjusts the API client's configuration (tests inject a
// clock and a recording Sleep).
func newSource(cfg pipeline.SourceConfig, tweak func(*firebaseapi.Config)) (*Source, error) {
	if err := live.CheckOptions("firebase", cfg.Options, Options, "credentials", CredentialsEnv); err != nil {
		return nil, err
	}
	o := cfg.Options
	s := &Source{max: cfg.RecordLimit(), logf: live.Logf}
	switch hc := strings.TrimSpace(o["hash-config"]); hc {
	case "":
	case NoHashConfig:
		s.ignore = true
	default:
		p, err := ReadHashConfig(hc)
		if err != nil {
			return nil, fmt.Errorf("firebase source: %w", err)
		}
		s.params.Store(&p)
	}
	if o["project"] == "" && o["credentials-file"] == "" {
		for _, k := range []string{"tenant", "url", "page-size"} {
			if o[k] != "" {
				return nil, fmt.Errorf("firebase source: option %q needs project or credentials-file (the live API)", k)
			}
		}
		if err := s.openFiles(cfg.Inputs, o["format"]); err != nil {
			return nil, err
		}
		return s, nil
	}
	if len(cfg.Inputs) > 0 {
		return nil, errors.New("firebase source: give either --input files or the live API (project, credentials-file), not both")
	}
	if o["format"] != "" {
		return nil, errors.New("firebase source: format applies to files, not to the live API")
	}
	acfg, err := apiConfig(o)
	if err != nil {
		return nil, err
	}
	if acfg.PageSize, err = live.IntOption("firebase", o, "page-size"); err != nil {
		return nil, err
	}
	acfg.Logf = s.logf
	if tweak != nil {
		tweak(&acfg)
	}
	client, err := firebaseapi.New(acfg)
	if err != nil {
		return nil, fmt.Errorf("firebase source: %w", err)
	}
	if s.params.Load() == nil && !s.ignore {
		s.fetchParams = client.HashConfig
	}
	what := "users"
	if acfg.Tenant != "" {
		what = "tenant-" + safeName(acfg.Tenant) + "-users"
	}
	if s.remote, err = live.NewLive("firebase", what, cfg.WorkDir, cfg.MaxRecordBytes, client.Users, s.logf); err != nil {
		return nil, err
	}
	return s, nil
}

// apiConfig is the API client's configuration from the options: the service account (from
// credentials-file or $GOOGLE_APPLICATION_CREDENTIALS), the project (default: the service
// account's), the tenant and the base URL.
func apiConfig(o map[string]string) (firebaseapi.Config, error) {
	path := o["credentials-file"]
	if path == "" {
		path = strings.TrimSpace(os.Getenv(CredentialsEnv))
	}
	if path == "" {
		return firebaseapi.Config{}, fmt.Errorf("firebase source: the live API needs a service-account key: give credentials-file or set $%s", CredentialsEnv)
	}
	sa, err := firebaseapi.ReadServiceAccount(path)
	if err != nil {
		return firebaseapi.Config{}, fmt.Errorf("firebase source: %w", err)
	}
	project := o["project"]
	if project == "" {
		project = sa.ProjectID
	}
	if project == "" {
		return firebaseapi.Config{}, fmt.Errorf("firebase source: no project: give project (the service-account key %s names none)", path)
	}
	return firebaseapi.Config{BaseURL: o["url"], Project: project, Tenant: o["tenant"], Account: sa}, nil
}

// safeName keeps the characters of a tenant id that are safe in a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}

// openFiles lists the input files and tells JSON from CSV: by extension (.csv; .json, .ndjson,
// .jsonl; a .gz suffix ignored), standard input by the format option (json by default), any
// other file by its first character ('{' or '[': JSON).
func (s *Source) openFiles(paths []string, format string) error {
	switch format {
	case "", "json", "csv":
	default:
		return fmt.Errorf("firebase source: format %q: want json or csv", format)
	}
	files, err := inputs.Expand(paths, Extensions)
	if err != nil {
		return fmt.Errorf("firebase source: %w", err)
	}
	s.files = files
	for _, f := range files {
		kind, err := fileKind(f, format)
		if err != nil {
			return fmt.Errorf("firebase source: %w", err)
		}
		var js *jsonfile.Source
		if kind == "json" {
			if js, err = jsonfile.NewWith(pipeline.SourceConfig{Inputs: []string{f.Name}, MaxRecordBytes: s.max},
				jsonfile.Options{Wrappers: []string{"users"}, Extensions: Extensions}); err != nil {
				return fmt.Errorf("firebase source: %w", err)
			}
			js.FlagTooLarge()
		}
		s.kinds, s.jsons = append(s.kinds, kind), append(s.jsons, js)
	}
	return nil
}

// fileKind says whether f is JSON or CSV.
func fileKind(f inputs.File, format string) (string, error) {
	name := strings.TrimSuffix(strings.ToLower(f.Name), ".gz")
	switch {
	case f.Name == "-":
		if format == "" {
			return "json", nil
		}
		return format, nil
	case strings.HasSuffix(name, ".csv"):
		return "csv", nil
	case strings.HasSuffix(name, ".json"), strings.HasSuffix(name, ".ndjson"), strings.HasSuffix(name, ".jsonl"):
		return "json", nil
	case format != "":
		return format, nil
	}
	r, closer, err := inputs.Open(f, nil)
	if err != nil {
		return "", err
	}
	defer closer.Close()
	for {
		b, err := r.ReadByte()
		if err != nil {
			return "json", nil // empty: nothing to read either way
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return "json", nil
		}
		return "csv", nil
	}
}

// Read frames every record: each file in order (JSON through the json source's framing, CSV
// rows by position), or the live fetch's spool. A user with a password hash when no hash
// parameters were given stops the read with a configuration error naming the user's position;
// a live read without hash-config first reads the parameters from the API.
func (s *Source) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	if s.remote != nil {
		if s.fetchParams != nil && s.params.Load() == nil {
			p, err := s.fetchParams(ctx)
			if err != nil {
				return fmt.Errorf("firebase source: reading the project's password hash parameters "+
					"(give them with --firebase-hash-config FILE, or --firebase-hash-config none): %w", err)
			}
			s.params.Store(&p)
		}
		return s.remote.Read(ctx, emit)
	}
	check := emit
	if s.params.Load() == nil && !s.ignore {
		check = func(raw pipeline.RawRecord) error {
			if hashed(&raw) {
				return fmt.Errorf("firebase source: %s: the user has a password hash, and no --firebase-hash-config was given: "+
					"copy the project's password hash parameters from the Firebase console (Authentication → Users → ⋮ → "+
					"Password hash parameters) into a file and give it with --firebase-hash-config FILE (or --firebase-hash-config none "+
					"to migrate these users without their passwords), then run again with --fresh", raw.Pos)
			}
			return emit(raw)
		}
	}
	for i, f := range s.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if s.kinds[i] == "csv" {
			err = s.readCSV(ctx, f, check)
		} else {
			err = s.jsons[i].Read(ctx, check)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// hashed reports whether a framed record holds a user's password hash of the project's scrypt
// (a non-empty passwordHash whose API version, when given, is 0).
func hashed(raw *pipeline.RawRecord) bool {
	if raw.Cells != nil {
		return len(raw.Cells) > colPasswordHash && raw.Cells[colPasswordHash] != ""
	}
	if !bytes.Contains(raw.Data, []byte(`"passwordHash"`)) {
		return false
	}
	rec, err := pipeline.DecodeObject(raw.Data)
	if err != nil {
		return false
	}
	h, _ := rec["passwordHash"].(string)
	v, hasVersion := rec["version"]
	return strings.TrimSpace(h) != "" && (!hasVersion || fmt.Sprint(v) == "0")
}

// readCSV frames the rows of one CSV file.
func (s *Source) readCSV(ctx context.Context, f inputs.File, emit func(pipeline.RawRecord) error) error {
	r, closer, err := inputs.Open(f, &s.csvIn)
	if err != nil {
		return fmt.Errorf("firebase source: %w", err)
	}
	defer closer.Close()
	cr := &csvReader{r: r, max: s.max, line: 1}
	for index := 1; ; index++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, line, size, err := cr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("firebase source: %s:%d: %w", f.Name, cr.line, err)
		}
		raw := pipeline.RawRecord{Pos: pipeline.Position{File: f.Name, Line: line, Index: index}}
		if data == nil {
			raw.Aux = pipeline.TooLarge(size, s.max)
		} else {
			raw.Cells = splitRow(data)
		}
		if err := emit(raw); err != nil {
			return err
		}
	}
}

// Decode turns a framed record into a user object: a JSON record as the json source decodes it,
// a CSV row into the same keys (csvObject). It then checks customAttributes (JSON text of an
// object, else the record is flagged parse_error or invalid_type naming it), drops an empty
// passwordHash and its salt, and beside a hash puts the project's parameters under
// firebasehash.ParamsKey (or, with hash-config none, drops the hash, its salt and version).
// Flagged records (too large, bad text or numbers, bad cells) are returned flagged. Safe for
// concurrent use.
func (s *Source) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	if raw.Err != nil {
		return nil, raw.Err
	}
	if iss, ok := raw.Aux.(pipeline.Issue); ok {
		return pipeline.Flag(nil, iss), nil
	}
	var rec map[string]any
	var issues []pipeline.Issue
	if raw.Cells != nil {
		rec, issues = csvObject(raw.Cells)
	} else {
		var err error
		if s.remote != nil {
			rec, err = s.remote.Decode(raw)
		} else {
			rec, err = pipeline.DecodeRecord(raw.Data)
		}
		if err != nil {
			return nil, err
		}
	}
	issues = append(issues, checkClaims(rec)...)
	s.passwordParams(rec)
	if len(issues) > 0 {
		return pipeline.Flag(rec, issues...), nil
	}
	return rec, nil
}

// passwordParams drops an empty passwordHash (with its salt) and puts the project's parameters
// beside a hash, or drops the hash with hash-config none.
func (s *Source) passwordParams(rec map[string]any) {
	h, present := rec["passwordHash"]
	if !present {
		return
	}
	if hs, isStr := h.(string); isStr && strings.TrimSpace(hs) == "" || h == nil || s.ignore {
		delete(rec, "passwordHash")
		delete(rec, firebasehash.KeySalt)
		if s.ignore {
			delete(rec, "version")
		}
		return
	}
	if p := s.params.Load(); p != nil {
		rec[firebasehash.ParamsKey] = p.Map()
	}
}

// checkClaims checks customAttributes: absent, empty, or the JSON text of an object (Firebase's
// custom claims). An object value (already parsed) is taken as it is.
func checkClaims(rec map[string]any) []pipeline.Issue {
	v, ok := rec["customAttributes"]
	if !ok || v == nil {
		return nil
	}
	s, isStr := v.(string)
	if !isStr {
		if _, isObj := v.(map[string]any); isObj {
			return nil
		}
		return []pipeline.Issue{{Code: pipeline.CodeInvalidType, Field: "customAttributes",
			Message: "custom claims are the JSON text of an object, got " + pipeline.JSONType(v)}}
	}
	if strings.TrimSpace(s) == "" {
		return nil
	}
	claims, err := pipeline.DecodeValue([]byte(s))
	if err != nil {
		return []pipeline.Issue{{Code: pipeline.CodeParseError, Field: "customAttributes",
			Message: "custom claims are not JSON text: " + err.Error()}}
	}
	if _, isObj := claims.(map[string]any); !isObj {
		return []pipeline.Issue{{Code: pipeline.CodeInvalidType, Field: "customAttributes",
			Message: "custom claims must be a JSON object, got " + pipeline.JSONType(claims)}}
	}
	issues := pipeline.TextIssues([]byte(s), "customAttributes")
	more, err := pipeline.ValueIssues(claims, "customAttributes", 2)
	if err != nil {
		return []pipeline.Issue{{Code: pipeline.CodeParseError, Field: "customAttributes", Message: err.Error()}}
	}
	return append(issues, more...)
}

// TotalBytes is the input size (0 while a live fetch runs).
func (s *Source) TotalBytes() int64 {
	if s.remote != nil {
		return s.remote.TotalBytes()
	}
	return inputs.TotalSize(s.files)
}

// ReadBytes is how many input bytes have been read.
func (s *Source) ReadBytes() int64 {
	if s.remote != nil {
		return s.remote.ReadBytes()
	}
	n := s.csvIn.Load()
	for _, js := range s.jsons {
		if js != nil {
			n += js.ReadBytes()
		}
	}
	return n
}

// SpoolPath is where a live read saves its fetch ("" for files).
func (s *Source) SpoolPath() string {
	if s.remote != nil {
		return s.remote.SpoolPath()
	}
	return ""
}
