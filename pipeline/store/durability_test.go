package store

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLiteCheckpointer: commits do not checkpoint (wal_autocheckpoint is off, so a hook login
// never pays for one); the store's checkpointer copies the WAL back, and on stop truncates it
// while the database is still open.
func TestSQLiteCheckpointer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lazy.db")
	st, err := Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*sqlStore)
	defer s.db.Close()
	var users []User
	for i := range 3000 {
		k := strings.Repeat("k", 1+i%5) + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
		users = append(users, User{Key: k, Email: k + "@example.com", Profile: []byte(`{"user_id":"` + strings.Repeat("p", 400) + `"}`)})
	}
	if err := s.Put(t.Context(), users); err != nil {
		t.Fatal(err)
	}
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	var auto, sync int
	if err := s.db.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d (%v), want 0", auto, err)
	}
	if err := s.db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 1 {
		t.Fatalf("synchronous = %d (%v), want 1 (NORMAL)", sync, err)
	}
	if walSize() == 0 {
		t.Fatal("the WAL is empty after the writes")
	}
	s.stop() // the final checkpoint; s.db stays open
	if n := walSize(); n != 0 {
		t.Fatalf("WAL holds %d bytes after the checkpointer stopped", n)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM lazy_users`).Scan(&n); err != nil || n != len(users) {
		t.Fatalf("%d users (%v), want %d", n, err, len(users))
	}
}

// TestPostgresSynchronousCommit: the store's sessions commit without waiting for the server's WAL
// flush, unless the DSN sets synchronous_commit itself.
func TestPostgresSynchronousCommit(t *testing.T) {
	tests := []struct{ name, dsn, want string }{
		{"default", "postgres://u@127.0.0.1:5432/db?sslmode=disable", "off"},
		{"the DSN decides", "postgres://u@127.0.0.1:5432/db?sslmode=disable&synchronous_commit=on", "on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := pgConfig(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.RuntimeParams["synchronous_commit"]; got != tt.want {
				t.Fatalf("synchronous_commit = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestUpgradeFromVersion1: a store created by schema version 1 is migrated on Open, keeps its
// users, no index holds status any more (a "migrated" mark writes no index), and the sweep's scan
// and Find still use an index.
func TestUpgradeFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{migrationsSQLite[0], `CREATE TABLE lazy_schema_version(version INTEGER NOT NULL)`, `INSERT INTO lazy_schema_version VALUES(1)`,
		`INSERT INTO lazy_users VALUES('u1','u1','A@x.com','','a@x.com',NULL,'{}','waiting','json','f:1','2026-01-01T00:00:00Z'),
		('u2','u2','b@x.com','Bee','b@x.com','bee','{}','migrated','json','f:2','2026-01-01T00:00:00Z')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	st, err := Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	var v int
	if err := s.db.QueryRow(`SELECT version FROM lazy_schema_version`).Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("version %d (%v), want %d", v, err, SchemaVersion)
	}
	var waiting []string
	if err := st.Waiting(t.Context(), func(u User) error { waiting = append(waiting, u.Key); return nil }); err != nil || len(waiting) != 1 || waiting[0] != "u1" {
		t.Fatalf("Waiting: %v %v", waiting, err)
	}
	if u, err := st.Find(t.Context(), "BEE"); err != nil || u.Key != "u2" {
		t.Fatalf("Find by username: %+v %v", u, err)
	}
	var statusIndexes int
	if err := s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lazy_users' AND sql LIKE '%status%'`).Scan(&statusIndexes); err != nil || statusIndexes != 0 {
		t.Errorf("%d indexes mention status (%v), want none", statusIndexes, err)
	}
	plans := map[string]string{
		`SELECT ukey FROM lazy_users WHERE status = 'waiting' AND ukey > '' ORDER BY ukey LIMIT 10`: "sqlite_autoindex_lazy_users_1 (ukey>?)",
		`SELECT ukey FROM lazy_users WHERE username_lc = 'bee' ORDER BY ukey LIMIT 1`:               "lazy_users_username_lc",
	}
	for q, index := range plans {
		rows, err := s.db.Query(`EXPLAIN QUERY PLAN ` + q)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan.WriteString(detail + "; ")
		}
		rows.Close()
		if !strings.Contains(plan.String(), index) {
			t.Errorf("%s: plan %q does not use %s", q, plan.String(), index)
		}
	}
}
