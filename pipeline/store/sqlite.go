package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// migrationsSQLite are applied in order; entry i brings the schema to version i+1. Never edit an
// entry once released: append a new one.
var migrationsSQLite = []string{
	`CREATE TABLE lazy_users(
  ukey TEXT PRIMARY KEY,       -- User.Key (byte-wise order)
  user_id TEXT NOT NULL, email TEXT NOT NULL, username TEXT NOT NULL, -- as given
  email_lc TEXT, username_lc TEXT, -- lower-cased (strings.ToLower) for Find; NULL when empty
  profile BLOB NOT NULL,       -- Auth0-shaped user, password material included
  status TEXT NOT NULL CHECK (status IN ('waiting', 'migrated', 'swept')),
  src TEXT NOT NULL, pos TEXT NOT NULL,
  updated_at TEXT NOT NULL     -- RFC 3339, UTC
);
CREATE INDEX lazy_users_email_lc ON lazy_users(email_lc, ukey);
CREATE INDEX lazy_users_username_lc ON lazy_users(username_lc, ukey);
CREATE INDEX lazy_users_status ON lazy_users(status, ukey);`,
	// 2: a login's "migrated" mark changes no indexed column, so it rewrites the row alone. The
	// sweep scans the primary key and skips users who are not waiting; only users with a username
	// are indexed by username.
	`DROP INDEX lazy_users_username_lc;
CREATE INDEX lazy_users_username_lc ON lazy_users(username_lc, ukey) WHERE username_lc IS NOT NULL;
DROP INDEX lazy_users_status;
ALTER TABLE lazy_users ADD COLUMN sweep TEXT;
CREATE INDEX lazy_users_sweep ON lazy_users(sweep, ukey) WHERE sweep IS NOT NULL;`,
}

func openSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, fmt.Errorf("store: sqlite: empty path (want sqlite:PATH)")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: sqlite %s: path may not contain '?' or '#'", path)
	}
	// Password hashes and personal data: owner-only. SQLite gives its -wal and -shm files the
	// same mode.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	f.Close()
	// _txlock=immediate: every transaction takes the write lock when it begins, so concurrent
	// writers wait (busy_timeout) instead of failing on a read-to-write lock upgrade.
	// Nothing on a hook login's path waits for the disk:
	//   - synchronous(NORMAL): in WAL mode a commit is not fsynced. It survives a crash of usher;
	//     only an OS crash or power loss can lose the last commits, and each such loss is safe (a
	//     lost "migrated" mark makes the sweep offer a user Auth0 already holds, which Auth0
	//     refuses as DUPLICATED_USER and the sweep reports; lost staged users come back when stage
	//     runs again). The PostgreSQL store makes the same choice (synchronous_commit off).
	//   - wal_autocheckpoint(0): no commit copies the WAL back into the database (that fsyncs
	//     the whole file, tens of milliseconds on a large store); checkpointer does it in the
	//     background instead.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &sqlStore{db: db, d: dialect{
		name:       "sqlite",
		migrations: migrationsSQLite,
		ts:         func(t time.Time) any { return t.Format(time.RFC3339Nano) },
	}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.stop = checkpointer(db, checkpointEvery)
	return s, nil
}

// checkpointEvery is how often checkpointer copies committed WAL pages into the database.
const checkpointEvery = time.Second

// checkpointer runs PRAGMA wal_checkpoint(PASSIVE) every period on its own goroutine (it never
// waits for readers or writers, so requests are not held up by it) until the returned stop is
// called; stop then truncates the WAL with a final checkpoint. Errors are not fatal: the next
// round retries, and the WAL stays correct, only larger.
func checkpointer(db *sql.DB, period time.Duration) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
				return
			case <-t.C:
				db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-finished }) }
}
