// Package store holds the users kept for lazy migration: the users a migrate run routed to the
// hook instead of an import file, with the Auth0-shaped profile (password material included) the
// hook answers with. A user is either bulk-imported or lazily migrated, never both (Auth0 answers
// DUPLICATED_USER otherwise), so every user carries a status that only moves forward:
//
//	waiting ──MarkMigrated──▶ migrated   (logged in through the hook; Auth0 now owns the user)
//	waiting ──MarkSwept────▶ swept      (bulk-imported by the sweep)
//
// Once a user has left "waiting" nothing in this package moves it again, and Put never overwrites
// it, so the hook and the sweep cannot both hand the same user to Auth0.
//
// Two backends implement the same contract (see the storetest conformance suite): SQLite
// ("sqlite:PATH", embedded, pure Go, may share the run's usher.db — its tables are prefixed
// lazy_) and PostgreSQL ("postgres://…", for several hook replicas and tens of millions of users).
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Statuses of a user.
const (
	// StatusWaiting: held for lazy migration, not yet in Auth0.
	StatusWaiting = "waiting"
	// StatusMigrated: logged in through the hook; Auth0 created the user itself.
	StatusMigrated = "migrated"
	// StatusSwept: bulk-imported by the sweep.
	StatusSwept = "swept"
)

// User is one user held for lazy migration.
type User struct {
	// Key is the stable identity: user_id when the user has one, else the lower-cased email.
	// It is compared exactly (byte-wise) and orders Waiting.
	Key string
	// UserID, Email and Username are stored as given; Find compares Email and Username
	// case-insensitively (Unicode lower case, as strings.ToLower).
	UserID, Email, Username string
	// Profile is the Auth0-shaped user (a JSON object) including its password material
	// (password_hash, custom_password_hash or legacy_password). Stored and returned byte for byte.
	Profile []byte
	// Status is StatusWaiting, StatusMigrated or StatusSwept ("" means waiting in Put).
	Status string
	// Source and Position say where the user came from (source name, file:line).
	Source, Position string
	// UpdatedAt is when the row last changed (UTC, microsecond precision). Put stores the time
	// given, or the current time when zero; MarkMigrated and MarkSwept set the current time.
	UpdatedAt time.Time
	// Sweep is the id of the sweep that took the user ("" unless swept); Put ignores it.
	Sweep string
}

// ErrNotFound is returned (possibly wrapped; test with errors.Is) when no user matches.
var ErrNotFound = errors.New("store: user not found")

// ErrSchemaTooNew is returned by Open when the store was created or migrated by a newer usher
// (its schema version is above SchemaVersion); the store is left untouched.
var ErrSchemaTooNew = errors.New("store: schema is newer than this usher supports")

// SchemaVersion is the schema version this code creates and understands (the number of
// migrations; each backend has exactly this many).
const SchemaVersion = 2

// Store is a lazy-migration user store. Implementations are safe for concurrent use by many
// goroutines and, for PostgreSQL (and SQLite within one machine), by many processes.
type Store interface {
	// Put inserts or updates users by Key, all in one transaction (all or none). A user already
	// migrated or swept is left exactly as it is (status, profile and every other field); a
	// waiting one is replaced by the given values. Status "" means waiting; a Key must be
	// non-empty and a Status one of the three statuses. When users repeats a Key the last one wins.
	Put(ctx context.Context, users []User) error
	// Get returns the user with exactly this Key, or ErrNotFound.
	Get(ctx context.Context, key string) (User, error)
	// Find returns the user whose Email equals login case-insensitively, else the one whose
	// Username does, else the one whose Key equals login exactly; ErrNotFound when none (or when
	// login is empty). When several users match at one step, the smallest Key wins.
	Find(ctx context.Context, login string) (User, error)
	// MarkMigrated moves a waiting user to migrated atomically: of any number of concurrent
	// callers (in any process) exactly one gets changed=true. A user already migrated or swept
	// stays as it is (changed=false, nil error); an unknown key gives ErrNotFound.
	MarkMigrated(ctx context.Context, key string) (changed bool, err error)
	// Waiting calls fn for every waiting user in Key order (byte-wise). It reads in bounded pages
	// (memory stays flat however many users there are) and holds no connection or transaction
	// while fn runs, so fn may call the store (e.g. MarkSwept). A user whose status changes during
	// the walk is seen as it was when its page was read. An error from fn stops the walk and is
	// returned as is.
	Waiting(ctx context.Context, fn func(User) error) error
	// MarkSwept moves the waiting users among keys to swept, recording the sweep id (not empty),
	// in one transaction; keys that are unknown, migrated or already swept are left untouched (no
	// error).
	MarkSwept(ctx context.Context, sweep string, keys []string) error
	// Swept calls fn for every user that the sweep id took (MarkSwept), in Key order, with the
	// paging and guarantees of Waiting.
	Swept(ctx context.Context, sweep string, fn func(User) error) error
	// Sample returns the profiles of up to n waiting users spread over the key space (distinct,
	// in key order), for the hook to calibrate how long verifying a stored password takes. It
	// reads at most n rows, each an index seek.
	Sample(ctx context.Context, n int) ([][]byte, error)
	// Counts returns the number of users by status; the three statuses are always present.
	Counts(ctx context.Context) (map[string]int64, error)
	// Close releases the store's connections. The store must not be used afterwards.
	Close() error
}

// Open opens, creating it if needed and migrating its schema to SchemaVersion, the store named by
// dsn: "sqlite:PATH" (the file is created with mode 0600 and opened in WAL mode) or
// "postgres://…" / "postgresql://…" (pgx; connection parameters such as sslmode or search_path go
// in the query string). Schema migrations run in one transaction; reopening an up-to-date store
// changes nothing; a store with a newer schema is refused with ErrSchemaTooNew. Errors never
// contain the DSN's password.
func Open(ctx context.Context, dsn string) (Store, error) {
	scheme, _, _ := strings.Cut(dsn, ":")
	switch strings.ToLower(scheme) {
	case "sqlite":
		return openSQLite(ctx, strings.TrimPrefix(dsn[len(scheme):], ":"))
	case "postgres", "postgresql":
		s, err := openPostgres(ctx, dsn)
		if err != nil {
			return nil, redact(dsn, err)
		}
		return s, nil
	}
	if !strings.Contains(dsn, ":") {
		scheme = ""
	}
	return nil, fmt.Errorf("store: unknown DSN scheme %q: want sqlite:PATH, postgres://… or postgresql://…", scheme)
}
