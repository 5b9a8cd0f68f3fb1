package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
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
	// 2: a login's "migrated" mark changes no indexed column, so PostgreSQL updates the row in
	// place (a HOT update, in the room fillfactor leaves on each page) without touching any index.
	// The sweep scans the primary key and skips users who are not waiting; only users with a
	// username are indexed by username. A sweep records its id on the users it takes (sweep), so
	// it can read exactly them again when it resumes. A sweep records its id on the users it takes (sweep), so
	// it can read exactly them again when it resumes.
	`DROP INDEX lazy_users_username_lc;
CREATE INDEX lazy_users_username_lc ON lazy_users(username_lc, ukey) WHERE username_lc IS NOT NULL;
DROP INDEX lazy_users_status;
ALTER TABLE lazy_users ADD COLUMN sweep TEXT;
CREATE INDEX lazy_users_sweep ON lazy_users(sweep, ukey) WHERE sweep IS NOT NULL;
ALTER TABLE lazy_users SET (fillfactor = 90);`,
}

func init() {
	if len(migrationsPostgres) != SchemaVersion || len(migrationsSQLite) != SchemaVersion {
		panic("store: SchemaVersion does not match the migrations")
	}
}

// pgLockID is the advisory lock that serialises schema migrations of concurrent Opens.
const pgLockID = 0x75736865726c617a // "usherlaz"

// pgConfig parses dsn into the store's connection settings.
func pgConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	// A commit returns before the server flushes its WAL (unless the DSN asks otherwise): a hook
	// login then costs no fsync, whose latency spikes (tens to hundreds of milliseconds while the
	// server checkpoints) would land on the person waiting. A server crash can lose only the last
	// few hundred milliseconds of commits, never corrupt anything, and each loss is safe: a lost
	// "migrated" mark makes the sweep offer a user Auth0 already holds, which Auth0 refuses as
	// DUPLICATED_USER and the sweep reports; lost staged users come back when stage runs again.
	if _, set := cfg.RuntimeParams["synchronous_commit"]; !set {
		cfg.RuntimeParams["synchronous_commit"] = "off"
	}
	return cfg, nil
}

func openPostgres(ctx context.Context, dsn string) (Store, error) {
	cfg, err := pgConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
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
