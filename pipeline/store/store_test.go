package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/store"
	"github.com/usher-migrate/usher/pipeline/store/storetest"
)

// opener returns an open function for storetest.Run: one database per test (dsnFor is called once
// per t), the same one on every call with that t, closed when t ends.
func opener(dsnFor func(t *testing.T) string) func(t *testing.T) store.Store {
	var mu sync.Mutex
	dsns := map[*testing.T]string{}
	return func(t *testing.T) store.Store {
		t.Helper()
		mu.Lock()
		dsn, ok := dsns[t]
		mu.Unlock()
		if !ok {
			dsn = dsnFor(t)
			mu.Lock()
			dsns[t] = dsn
			mu.Unlock()
			t.Cleanup(func() { mu.Lock(); delete(dsns, t); mu.Unlock() })
		}
		s, err := store.Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func sqliteDSN(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, opener(sqliteDSN))
}

// postgresDSN returns a DSN whose search_path is a fresh schema, dropped when t ends, so that
// tests (and concurrent runs of the suite) never see each other's tables.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("USHER_TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("USHER_TEST_POSTGRES_DSN not set")
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "lazy_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		// Registered before the stores' cleanups, so it runs after they closed.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func TestPostgres(t *testing.T) {
	if os.Getenv("USHER_TEST_POSTGRES_DSN") == "" {
		t.Skip("USHER_TEST_POSTGRES_DSN not set")
	}
	storetest.Run(t, opener(postgresDSN))
}

// TestOpenRefusesNewerSchema goes through Open itself (the suite uses the test hooks).
func TestOpenRefusesNewerSchema(t *testing.T) {
	backends := map[string]func(*testing.T) string{"sqlite": sqliteDSN, "postgres": postgresDSN}
	for name, dsnFor := range backends {
		t.Run(name, func(t *testing.T) {
			dsn := dsnFor(t)
			s, err := store.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Put(t.Context(), []store.User{{Key: "k", Profile: []byte(`{}`)}}); err != nil {
				t.Fatal(err)
			}
			if err := s.(storetest.SchemaHooks).SetSchemaVersion(t.Context(), store.SchemaVersion+5); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if s, err := store.Open(t.Context(), dsn); !errors.Is(err, store.ErrSchemaTooNew) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open(newer schema) = %v, want ErrSchemaTooNew", err)
			}
		})
	}
}

func TestOpenErrorsHidePassword(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	tests := []string{
		"postgres://usher:" + pw + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"postgresql://usher:" + pw + "@127.0.0.1:notaport/db",
		"postgres://usher:" + pw + "@[::1/db",
		"postgres://127.0.0.1:1/db?sslmode=disable&connect_timeout=2&password=" + pw,
		"postgres://usher:" + pw + "@127.0.0.1:1/db?sslmode=bogus",
		"postgres://usher:s3cr3t%2DPa55@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"mysql://usher:" + pw + "@127.0.0.1/db",
		"usher:" + pw + "@127.0.0.1/db",
		pw,
	}
	if base := os.Getenv("USHER_TEST_POSTGRES_DSN"); strings.HasPrefix(base, "postgres://postgres@") {
		// A reachable server and a user that does not exist: an authentication error.
		tests = append(tests, strings.Replace(base, "postgres://postgres@", "postgres://nosuchuser:"+pw+"@", 1))
	}
	for _, dsn := range tests {
		t.Run("", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			s, err := store.Open(ctx, dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded")
			}
			if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error contains the password: %v", err)
			}
			t.Log(err)
		})
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	for _, dsn := range []string{"mysql://h/db", "file:/tmp/x.db", "", "/tmp/usher.db", "sqlite:"} {
		_, err := store.Open(t.Context(), dsn)
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if dsn != "sqlite:" && !strings.Contains(err.Error(), "sqlite:PATH") || !strings.Contains(err.Error(), "postgres://") && dsn != "sqlite:" {
			t.Errorf("Open(%q) = %v, want the accepted schemes named", dsn, err)
		}
	}
}

func TestSQLiteFileModeAndSharedLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), ledger.FileName)
	l, err := ledger.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.SetMeta("k", "v"); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(t.Context(), []store.User{{Key: "k", Email: "K@x", Profile: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	if v, err := l.Meta("k"); err != nil || v != "v" {
		t.Errorf("ledger meta after store open = %q, %v", v, err)
	}
	if _, err := s.Find(t.Context(), "k@X"); err != nil {
		t.Errorf("Find: %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "lazy.db")
	s2, err := store.Open(t.Context(), "sqlite:"+fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for _, p := range []string{fresh, fresh + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}
