package pipeline

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Source reads one kind of legacy export. Reading is split in two so the runner can parallelise
// the expensive half:
//
//   - Read frames records sequentially, in a stable order (the same inputs always give the same
//     sequence, which is what makes --resume possible), and hands each to emit. A record that
//     cannot be framed is emitted with RawRecord.Err set, never dropped. Read returns an error only
//     for failures that stop the run (an input that cannot be opened, an I/O error); it returns
//     the error emit returned, unchanged, so cancellation propagates.
//   - Decode turns one framed record into a generic JSON-like object (string, bool, json.Number,
//     []any, map[string]any, nil). It is called concurrently from several goroutines and must not
//     keep state between calls. An error means the record is unparsable (parse_error).
//
// A record that must be rejected with a reason of its own (record_too_large: larger than
// SourceConfig.MaxRecordBytes, skipped unread; invalid_encoding; invalid_number) is framed with
// Err nil and returned by Decode flagged (Flag), and the source kind registers its mapping
// through RejectFlagged, which rejects it with those reasons. Records are framed in bounded
// memory: a source never holds more than MaxRecordBytes of one record.
type Source interface {
	Read(ctx context.Context, emit func(RawRecord) error) error
	Decode(raw *RawRecord) (map[string]any, error)
}

// Warner is implemented by sources that know something worth reporting about a record they
// framed (an Auth0 user the password export had no hash for): the runner adds the issues to the
// record's warnings, counted in report.json. It is called concurrently, like Decode.
type Warner interface {
	Warnings(raw *RawRecord) []Issue
}

// Sizer is implemented by sources that know their total input size in bytes and how far Read has
// got, so progress can show an ETA.
type Sizer interface {
	TotalBytes() int64
	ReadBytes() int64
}

// SourceConfig is what every source constructor receives: the inputs and the source-specific
// options, already validated for shape by the CLI.
type SourceConfig struct {
	Inputs []string
	// Options holds source-specific settings (for csv: delimiter, json-columns, split, …).
	Options map[string]string
	// WorkDir is the run's output folder. Live sources save what they fetch under it (see
	// sources/spool) so that an interrupted run resumes from the same records.
	WorkDir string
	// MaxRecordBytes is the largest record a file source reads (--max-record-bytes; 0 means
	// DefaultMaxRecordBytes). A larger one is rejected record_too_large without being held in
	// memory or decoded.
	MaxRecordBytes int
}

// DefaultMaxRecordBytes is the default SourceConfig.MaxRecordBytes: 1 MiB. An Auth0 import file
// holds at most 500,000 bytes, so no user near this size can be imported; real records are 1–2 KB
// (an Auth0 export line ~850 bytes, a Gigya account ~1.4 KB), so the limit leaves room for fields a
// mapping drops while a record in flight costs at most about a megabyte.
const DefaultMaxRecordBytes = 1 << 20

// RecordLimit is the record size limit a source applies: cfg.MaxRecordBytes, or
// DefaultMaxRecordBytes when that is 0.
func (cfg SourceConfig) RecordLimit() int {
	if cfg.MaxRecordBytes > 0 {
		return cfg.MaxRecordBytes
	}
	return DefaultMaxRecordBytes
}

// TooLarge is the issue of a record of size bytes (at least), larger than limit.
func TooLarge(size int64, limit int) Issue {
	return Issue{Code: CodeRecordTooLarge, Message: fmt.Sprintf(
		"the record is %d bytes, more than the %d a record may have (--max-record-bytes): skipped unread", size, limit)}
}

// SourceFactory builds a Source from its configuration. Errors are configuration errors.
type SourceFactory func(cfg SourceConfig) (Source, error)

// SourceInfo describes a registered source kind.
type SourceInfo struct {
	Name        string
	Description string
	// Options are the options the source accepts in SourceConfig.Options (flags --<name>-<option>
	// and --source-opt option=value); a source uses an option's Default when it is not given.
	Options []Option
	New     SourceFactory
	// NewMapping builds the mapping from decoded records of this kind to Auth0-shaped objects.
	NewMapping func(MappingConfig) (Mapping, error)
	// Live, when set, is the system's live login, which the lazy-migration hook asks about the
	// users it cannot settle from its store (nil: the system has none, or is no longer running).
	Live *LiveInfo
	// Passwordless is what becomes of this kind's users without a password when the run does
	// not say (--passwordless): "" means import; a system that never exports password hashes
	// sets "lazy", so its users sign in through the hook and its live login.
	Passwordless string
}

// Option is one setting of a source or of its live login: a flag --<source>-<Name>, with its
// help and the value the source uses when it is not given.
type Option struct {
	Name, Help, Default string
}

// Usage is the option's help, with its default when it has one.
func (o Option) Usage() string {
	if o.Default == "" {
		return o.Help
	}
	return o.Help + " (default " + o.Default + ")"
}

// OptionNamed returns the option called name, and whether there is one.
func OptionNamed(opts []Option, name string) (Option, bool) {
	for _, o := range opts {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}

// LiveInfo describes a legacy system's live login.
type LiveInfo struct {
	// Options are its settings. The hook delegates to a system when any of them is given.
	Options []Option
	// New builds the live login from the options' values (each present, defaults applied);
	// logf reports what is worth an operator's attention. Errors are configuration errors that
	// name the option at fault and never contain a secret.
	New func(opts map[string]string, logf func(format string, args ...any)) (LiveLogin, error)
}

// LiveLogin is a legacy system that is still running, which the hook asks about what its store
// cannot settle: it verifies the passwords of users stored without one (Okta never exports
// hashes; a Gigya export may lack them), and, when the hook maps live accounts, signs in and finds
// users the export did not hold (registered since, or left out of it).
type LiveLogin interface {
	// Login verifies password for login. ok false is a wrong password (or a user who may not sign
	// in); an error means the system could not answer (the hook says 503). With ok, id is the
	// system's identifier of the account that signed in (the Okta user id, the Gigya UID), or ""
	// when its answer named none: the hook refuses the login of a stored user whose user_id is
	// not id (the login now belongs to another account).
	Login(ctx context.Context, login, password string) (id string, ok bool, err error)
	// Account returns the current record of the account id, as the source's mapping reads it.
	Account(ctx context.Context, id string) ([]byte, error)
	// Lookup returns the current record of the account whose login (an email) is login, or nil
	// when there is none.
	Lookup(ctx context.Context, login string) ([]byte, error)
}

// LiveLoginNames is implemented by a LiveLogin (Okta's) whose own login name for a stored user
// may be kept where the store does not look: the okta mapping keeps every profile.login in
// app_metadata.<namespace>.login, and as username only when Auth0 takes it as one. The hook then
// sends that login to Login (the person may have typed the email), and when the store holds no
// user under what the person typed, it asks the legacy system which account that is (the id
// Login names, or AccountID of what Lookup returns) and finds the stored user by that id.
type LiveLoginNames interface {
	// LoginOf returns the legacy login the stored profile keeps, or "" when it keeps none.
	LoginOf(profile map[string]any) string
	// AccountID returns the id of an account record that Account or Lookup returned ("" when
	// it names none).
	AccountID(account []byte) string
	// AccountEmail returns the e-mail of such a record ("" when it has none): an account merged
	// into another account's user (--duplicates merge) is stored under that user's e-mail.
	AccountEmail(account []byte) string
}

var (
	regMu   sync.RWMutex
	sources = map[string]SourceInfo{}
)

// RegisterSource adds a source kind to the registry; it panics on a duplicate name (a programming
// error caught at init).
func RegisterSource(info SourceInfo) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := sources[info.Name]; dup {
		panic("pipeline: source registered twice: " + info.Name)
	}
	sources[info.Name] = info
}

// LookupSource returns the registered source kind, or an error listing the known kinds.
func LookupSource(name string) (SourceInfo, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	if info, ok := sources[name]; ok {
		return info, nil
	}
	return SourceInfo{}, fmt.Errorf("unknown source %q (known: %v)", name, sourceNamesLocked())
}

// SourceNames lists the registered source kinds, sorted.
func SourceNames() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	return sourceNamesLocked()
}

func sourceNamesLocked() []string {
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
