package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// migrationsPostgres mirror migrationsSQLite version for version (same tables, same meaning).
var migrationsPostgres = []string{
	`CREATE TABLE lazy_users(
  ukey TEXT COLLATE "C" PRIMARY KEY, -- byte-wise order, as in SQLite and Go
  user_id TEXT NOT NULL, email TEXT NOT NULL, username TEXT NOT NULL,
  email_lc TEXT, username_lc TEXT,
  profile BYTEA NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('waiting', 'migrated', 'swept')),
  src TEXT NOT NULL, pos TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX lazy_users_email_lc ON lazy_users(email_lc, ukey);
CREATE INDEX lazy_users_username_lc ON lazy_users(username_lc, ukey);
CREATE INDEX lazy_users_status ON lazy_users(status, ukey);`,
}

func init() {
	if len(migrationsPostgres) != SchemaVersion || len(migrationsSQLite) != SchemaVersion {
		panic("store: SchemaVersion does not match the migrations")
	}
}

// pgLockID is the advisory lock that serialises schema migrations of concurrent Opens.
const pgLockID = 0x75736865726c617a // "usherlaz"

func openPostgres(ctx context.Context, dsn string) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	s := &sqlStore{db: db, d: dialect{
		name:       "postgres",
		migrations: migrationsPostgres,
		dollar:     true,
		lock:       fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", int64(pgLockID)),
		ts:         func(t time.Time) any { return t },
	}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
