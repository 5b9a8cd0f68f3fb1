package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
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
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
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
	return s, nil
}
