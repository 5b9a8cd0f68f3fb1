// Package live is the common shape of sources that read either export files or a legacy
// system's live API (gigya, okta, keycloak, cognito, firebase): files are framed by the json
// source's reader; a live fetch is first saved to a spool file in the run's folder (package
// spool) and then read the same way, so both paths produce the same records and positions that
// name a line of a file. It also holds what those sources share in checking their options
// (CheckOptions, FilesOrLive, IntOption) and what their live logins share in naming accounts
// (Kept, AccountID).
package live

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/jsonfile"
	"github.com/usher-migrate/usher/sources/spool"
)

// Fetcher pages through a live API and hands each user object to emit, in order. It returns
// emit's error unchanged.
type Fetcher func(ctx context.Context, emit func(obj []byte) error) error

// Source reads files or a live API. It implements pipeline.Source and pipeline.Sizer.
type Source struct {
	name  string
	fetch Fetcher
	spool string
	max   int // SourceConfig.MaxRecordBytes of a live source (0: pipeline.DefaultMaxRecordBytes)
	log   func(format string, args ...any)
	inner atomic.Pointer[jsonfile.Source]
}

// NewFiles reads the inputs as the json source does (arrays, NDJSON, result pages, folders, gzip),
// records over maxRecordBytes (0: pipeline.DefaultMaxRecordBytes) flagged record_too_large.
func NewFiles(name string, inputs []string, maxRecordBytes int) (*Source, error) {
	return NewFilesWith(name, inputs, maxRecordBytes, jsonfile.Options{})
}

// NewFilesWith is NewFiles with the system's own framing (wrapper keys, file endings).
func NewFilesWith(name string, inputs []string, maxRecordBytes int, o jsonfile.Options) (*Source, error) {
	js, err := jsonfile.NewWith(pipeline.SourceConfig{Inputs: inputs, MaxRecordBytes: maxRecordBytes}, o)
	if err != nil {
		return nil, fmt.Errorf("%s source: %w", name, err)
	}
	s := &Source{name: name}
	s.inner.Store(js.FlagTooLarge())
	return s, nil
}

// NewLive reads what fetch returns, spooled to workDir/fetched/<name>-<what>.ndjson. The spool is
// read as the json source reads a file: a record over maxRecordBytes (0:
// pipeline.DefaultMaxRecordBytes) is flagged record_too_large at its line, skipped unread, and the
// lines after it are read. logf, when set, reports the fetch's start and end.
//
// The limit bounds reading only: the fetch writes each object whole, as the API client holds it
// (its answers are capped by the client), so the spool keeps what the system returned and a
// resumed run reads the same lines.
func NewLive(name, what, workDir string, maxRecordBytes int, fetch Fetcher, logf func(format string, args ...any)) (*Source, error) {
	if workDir == "" {
		return nil, fmt.Errorf("%s source: a live fetch needs the run's output folder", name)
	}
	return &Source{name: name, fetch: fetch, log: logf, max: maxRecordBytes,
		spool: filepath.Join(workDir, spool.Dir, name+"-"+what+".ndjson")}, nil
}

// SpoolPath is where a live source saves its fetch ("" for files).
func (s *Source) SpoolPath() string { return s.spool }

// Read frames every record. A live source first completes (or reuses) its spool file.
func (s *Source) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	if s.fetch != nil && s.inner.Load() == nil {
		n, fetched, err := spool.Fetch(ctx, s.spool, s.fetch)
		if err != nil {
			return fmt.Errorf("%s source: live fetch: %w", s.name, err)
		}
		if s.log != nil {
			if fetched {
				s.log("%s: fetched %d users into %s", s.name, n, s.spool)
			} else {
				s.log("%s: reading the users fetched earlier from %s", s.name, s.spool)
			}
		}
		js, err := jsonfile.New(pipeline.SourceConfig{Inputs: []string{s.spool}, MaxRecordBytes: s.max})
		if err != nil {
			return fmt.Errorf("%s source: %w", s.name, err)
		}
		s.inner.Store(js.FlagTooLarge())
	}
	return s.inner.Load().Read(ctx, emit)
}

// Decode parses one record strictly, as the json source does (pipeline.DecodeRecord): a JSON
// object; a record too large to read, or whose text or numbers are invalid, is returned flagged
// (the source kind's mapping is wrapped with pipeline.RejectFlagged).
func (s *Source) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	if iss, ok := raw.Aux.(pipeline.Issue); ok {
		return pipeline.Flag(nil, iss), nil
	}
	return pipeline.DecodeRecord(raw.Data)
}

// TotalBytes is the input size (0 while a live fetch runs).
func (s *Source) TotalBytes() int64 {
	if in := s.inner.Load(); in != nil {
		return in.TotalBytes()
	}
	return 0
}

// ReadBytes is how many input bytes have been read.
func (s *Source) ReadBytes() int64 {
	if in := s.inner.Load(); in != nil {
		return in.ReadBytes()
	}
	return 0
}

// IntOption reads a positive integer source option; absent is 0 (the client's default).
func IntOption(source string, o map[string]string, k string) (int, error) {
	if o[k] == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(o[k])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s source: %s %q: want a positive integer", source, k, o[k])
	}
	return n, nil
}

// CheckOptions rejects option names the source does not know, and a secret given as an option.
func CheckOptions(source string, o map[string]string, known []pipeline.Option, secretKey, secretEnv string) error {
	return CheckSecretOptions(source+" source", o, known, map[string]string{secretKey: secretKey + "-file or $" + secretEnv})
}

// CheckSecretOptions rejects option names not in known: a name of secrets (a secret given as an
// option, by mistake) with an error saying where that secret is read from (its value: "token-file
// or $USHER_OKTA_TOKEN"), any other with "unknown option". Errors begin with what ("okta
// source").
func CheckSecretOptions(what string, o map[string]string, known []pipeline.Option, secrets map[string]string) error {
	for k := range o {
		if _, ok := pipeline.OptionNamed(known, k); ok {
			continue
		}
		if where, isSecret := secrets[k]; isSecret {
			return fmt.Errorf("%s: the %s is read from %s, never from an option", what, k, where)
		}
		return fmt.Errorf("%s: unknown option %q", what, k)
	}
	return nil
}

// FilesOrLive tells whether a source reads its live API (true) or its input files: the live API
// when option key (url, api-key) is set, api naming it in errors ("the live API"). Input files
// given with the live API are refused, and so is any option given (even empty) without it: for
// a source whose every option is a setting of the live API.
func FilesOrLive(source string, o map[string]string, inputs []string, key, api string) (bool, error) {
	if o[key] == "" {
		for k := range o {
			return false, fmt.Errorf("%s source: option %q needs %s (%s)", source, k, key, api)
		}
		return false, nil
	}
	if len(inputs) > 0 {
		return false, fmt.Errorf("%s source: give either --input files or %s (%s), not both", source, api, key)
	}
	return true, nil
}

// Logf reports what a source notices (a live fetch's progress, retries, files without users) to
// the run's log, at level Info.
func Logf(format string, args ...any) { slog.Info(fmt.Sprintf(format, args...)) }
