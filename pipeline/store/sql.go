package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// dialect is what differs between the backends; the queries are shared and written with "?"
// placeholders.
type dialect struct {
	name       string
	migrations []string
	dollar     bool   // placeholders are $1, $2, …
	lock       string // statement run first in the migration transaction (serialises concurrent Opens)
	// ts converts a time for a query argument.
	ts func(time.Time) any
}

// sqlStore implements Store over database/sql.
type sqlStore struct {
	db   *sql.DB
	d    dialect
	stop func() // background work to end before the database closes; nil for none
}

const (
	rowsPerPut   = 500  // rows per multi-row INSERT (11 parameters each)
	keysPerSweep = 1000 // keys per UPDATE … IN (…)
	pageSize     = 1000 // users per Waiting page
)

const userCols = `ukey, user_id, email, username, profile, status, src, pos, updated_at, sweep`

func (s *sqlStore) q(query string) string {
	if !s.d.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *sqlStore) errf(format string, args ...any) error {
	return fmt.Errorf("store: "+s.d.name+": "+format, args...)
}

// migrate brings the schema to SchemaVersion in one transaction.
func (s *sqlStore) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errf("migrate: %w", err)
	}
	defer tx.Rollback()
	if s.d.lock != "" {
		if _, err := tx.ExecContext(ctx, s.d.lock); err != nil {
			return s.errf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS lazy_schema_version(version INTEGER NOT NULL)`); err != nil {
		return s.errf("migrate: %w", err)
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM lazy_schema_version`).Scan(&v); err != nil {
		return s.errf("migrate: read version: %w", err)
	}
	cur := int(v.Int64)
	if cur > len(s.d.migrations) {
		return fmt.Errorf("%w (store has schema version %d, this usher knows up to %d)", ErrSchemaTooNew, cur, len(s.d.migrations))
	}
	if cur == len(s.d.migrations) {
		return nil // up to date: change nothing
	}
	for i := cur; i < len(s.d.migrations); i++ {
		if _, err := tx.ExecContext(ctx, s.d.migrations[i]); err != nil {
			return s.errf("migrate to version %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM lazy_schema_version`); err != nil {
		return s.errf("migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO lazy_schema_version(version) VALUES(?)`), len(s.d.migrations)); err != nil {
		return s.errf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return s.errf("migrate: commit: %w", err)
	}
	return nil
}

// SetSchemaVersion overwrites the recorded schema version without migrating anything. It is a
// test hook (reachable by type assertion; see storetest) for checking that Open refuses a newer
// schema; never use it on a real store.
func (s *sqlStore) SetSchemaVersion(ctx context.Context, v int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errf("%w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM lazy_schema_version`); err != nil {
		return s.errf("%w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO lazy_schema_version(version) VALUES(?)`), v); err != nil {
		return s.errf("%w", err)
	}
	return tx.Commit()
}

// Migrate runs the schema check and migration Open runs (a test hook, see SetSchemaVersion).
func (s *sqlStore) Migrate(ctx context.Context) error { return s.migrate(ctx) }

func validStatus(st string) (string, bool) {
	switch st {
	case "":
		return StatusWaiting, true
	case StatusWaiting, StatusMigrated, StatusSwept:
		return st, true
	}
	return "", false
}

func lowerOrNil(s string) any {
	if s == "" {
		return nil
	}
	return strings.ToLower(s)
}

func stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

func (s *sqlStore) Put(ctx context.Context, users []User) error {
	if len(users) == 0 {
		return nil
	}
	// Last occurrence of a key wins (one multi-row upsert may not touch a row twice).
	last := make(map[string]int, len(users))
	for i := range users {
		if users[i].Key == "" {
			return s.errf("put: user %d has an empty key", i)
		}
		if _, ok := validStatus(users[i].Status); !ok {
			return s.errf("put: user %q: unknown status %q", users[i].Key, users[i].Status)
		}
		last[users[i].Key] = i
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errf("put: %w", err)
	}
	defer tx.Rollback()
	const cols = 11
	args := make([]any, 0, rowsPerPut*cols)
	var stmt strings.Builder
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		stmt.Reset()
		stmt.WriteString(`INSERT INTO lazy_users(ukey, user_id, email, username, email_lc, username_lc, profile, status, src, pos, updated_at) VALUES `)
		for i := 0; i < len(args)/cols; i++ {
			if i > 0 {
				stmt.WriteByte(',')
			}
			stmt.WriteString(`(?,?,?,?,?,?,?,?,?,?,?)`)
		}
		stmt.WriteString(` ON CONFLICT(ukey) DO UPDATE SET user_id = excluded.user_id, email = excluded.email,
			username = excluded.username, email_lc = excluded.email_lc, username_lc = excluded.username_lc,
			profile = excluded.profile, status = excluded.status, src = excluded.src, pos = excluded.pos,
			updated_at = excluded.updated_at
			WHERE lazy_users.status = 'waiting'`)
		if _, err := tx.ExecContext(ctx, s.q(stmt.String()), args...); err != nil {
			return s.errf("put: %w", err)
		}
		args = args[:0]
		return nil
	}
	for i := range users {
		u := &users[i]
		if last[u.Key] != i {
			continue
		}
		st, _ := validStatus(u.Status)
		profile := u.Profile
		if profile == nil {
			profile = []byte{}
		}
		args = append(args, u.Key, u.UserID, u.Email, u.Username, lowerOrNil(u.Email), lowerOrNil(u.Username),
			profile, st, u.Source, u.Position, s.d.ts(stamp(u.UpdatedAt)))
		if len(args) == rowsPerPut*cols {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.errf("put: commit: %w", err)
	}
	return nil
}

type scanner interface{ Scan(...any) error }

func scanUser(r scanner) (User, error) {
	var u User
	var ts any
	var sweep sql.NullString
	if err := r.Scan(&u.Key, &u.UserID, &u.Email, &u.Username, &u.Profile, &u.Status, &u.Source, &u.Position, &ts, &sweep); err != nil {
		return User{}, err
	}
	u.Sweep = sweep.String
	switch t := ts.(type) {
	case time.Time:
		u.UpdatedAt = t.UTC()
	case string:
		u.UpdatedAt, _ = time.Parse(time.RFC3339Nano, t)
	case []byte:
		u.UpdatedAt, _ = time.Parse(time.RFC3339Nano, string(t))
	}
	if u.Profile == nil {
		u.Profile = []byte{}
	}
	return u, nil
}

func (s *sqlStore) one(ctx context.Context, where string, arg any) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM lazy_users WHERE `+where+` ORDER BY ukey LIMIT 1`), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, s.errf("%w", err)
	}
	return u, nil
}

func (s *sqlStore) Get(ctx context.Context, key string) (User, error) {
	return s.one(ctx, `ukey = ?`, key)
}

func (s *sqlStore) Find(ctx context.Context, login string) (User, error) {
	if login == "" {
		return User{}, ErrNotFound
	}
	lc := strings.ToLower(login)
	for _, step := range []struct {
		where string
		arg   string
	}{{`email_lc = ?`, lc}, {`username_lc = ?`, lc}, {`ukey = ?`, login}} {
		u, err := s.one(ctx, step.where, step.arg)
		if !errors.Is(err, ErrNotFound) {
			return u, err
		}
	}
	return User{}, ErrNotFound
}

func (s *sqlStore) MarkMigrated(ctx context.Context, key string) (bool, error) {
	// One conditional UPDATE: the row lock (PostgreSQL re-checks the WHERE after waiting for it)
	// or the database write lock (SQLite) lets exactly one caller see the waiting row.
	var got string
	err := s.db.QueryRowContext(ctx, s.q(`UPDATE lazy_users SET status = 'migrated', updated_at = ?
		WHERE ukey = ? AND status = 'waiting' RETURNING ukey`), s.d.ts(stamp(time.Time{})), key).Scan(&got)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, s.errf("mark migrated: %w", err)
	}
	var n int
	err = s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM lazy_users WHERE ukey = ?`), key).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, s.errf("mark migrated: %w", err)
	}
	return false, nil
}

func (s *sqlStore) Sample(ctx context.Context, n int) ([][]byte, error) {
	var lo, hi sql.NullString
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT MIN(ukey), MAX(ukey) FROM lazy_users`)).Scan(&lo, &hi); err != nil {
		return nil, s.errf("sample: %w", err)
	}
	if !lo.Valid || n <= 0 {
		return nil, nil
	}
	query := s.q(`SELECT ukey, profile FROM lazy_users WHERE status = 'waiting' AND ukey >= ? ORDER BY ukey LIMIT 1`)
	seen := map[string]bool{}
	var keys []string
	var out [][]byte
	// Probes spread evenly between the smallest and the largest key (keys often share a prefix:
	// "okta|00u…"); each is one seek to the first waiting key at or after it.
	for _, probe := range keyProbes(lo.String, hi.String, n) {
		var key string
		var profile []byte
		err := s.db.QueryRowContext(ctx, query, probe).Scan(&key, &profile)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, s.errf("sample: %w", err)
		}
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
			out = append(out, profile)
		}
	}
	sort.Sort(byKey{keys, out})
	return out, nil
}

// keyProbes returns n printable-ASCII strings spread evenly from lo to hi: their common prefix,
// then six base-95 digits interpolated between the two keys' next characters.
func keyProbes(lo, hi string, n int) []string {
	p := 0
	for p < len(lo) && p < len(hi) && lo[p] == hi[p] {
		p++
	}
	const digits, base = 6, 95
	num := func(s string, pad byte) float64 {
		v := 0.0
		for i := range digits {
			c := pad
			if p+i < len(s) {
				c = min(max(s[p+i], ' '), '~')
			}
			v = v*base + float64(c-' ')
		}
		return v
	}
	a, b := num(lo, ' '), num(hi, '~')
	out := make([]string, 0, n)
	for i := range n {
		v := a + (b-a)*float64(i)/float64(n)
		d := make([]byte, digits)
		for j := digits - 1; j >= 0; j-- {
			d[j] = ' ' + byte(int64(v)%base)
			v = float64(int64(v) / base)
		}
		out = append(out, lo[:p]+string(d))
	}
	return out
}

// byKey sorts sampled profiles by their keys.
type byKey struct {
	keys     []string
	profiles [][]byte
}

func (b byKey) Len() int           { return len(b.keys) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
	b.profiles[i], b.profiles[j] = b.profiles[j], b.profiles[i]
}

func (s *sqlStore) Waiting(ctx context.Context, fn func(User) error) error {
	return s.walk(ctx, "waiting", `status = 'waiting'`, nil, fn)
}

func (s *sqlStore) Swept(ctx context.Context, sweep string, fn func(User) error) error {
	if sweep == "" {
		return s.errf("swept: empty sweep id")
	}
	return s.walk(ctx, "swept", `sweep = ? AND status = 'swept'`, []any{sweep}, fn)
}

// walk calls fn for every user matching where (with args), in key order, a page at a time.
func (s *sqlStore) walk(ctx context.Context, what, where string, args []any, fn func(User) error) error {
	page := make([]User, 0, pageSize)
	after := "" // keys are never empty, so "" precedes them all
	query := s.q(`SELECT ` + userCols + ` FROM lazy_users WHERE ` + where + ` AND ukey > ? ORDER BY ukey LIMIT ?`)
	for {
		page = page[:0]
		rows, err := s.db.QueryContext(ctx, query, append(args[:len(args):len(args)], after, pageSize)...)
		if err != nil {
			return s.errf("%s: %w", what, err)
		}
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return s.errf("%s: %w", what, err)
			}
			page = append(page, u)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return s.errf("%s: %w", what, err)
		}
		for _, u := range page {
			if err := fn(u); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].Key
		clear(page) // drop the profiles before reading the next page
	}
}

func (s *sqlStore) MarkSwept(ctx context.Context, sweep string, keys []string) error {
	if sweep == "" {
		return s.errf("mark swept: empty sweep id")
	}
	if len(keys) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errf("mark swept: %w", err)
	}
	defer tx.Rollback()
	now := s.d.ts(stamp(time.Time{}))
	for len(keys) > 0 {
		n := min(len(keys), keysPerSweep)
		chunk := keys[:n]
		keys = keys[n:]
		args := make([]any, 0, n+2)
		args = append(args, sweep, now)
		for _, k := range chunk {
			args = append(args, k)
		}
		query := `UPDATE lazy_users SET status = 'swept', sweep = ?, updated_at = ? WHERE status = 'waiting' AND ukey IN (?` +
			strings.Repeat(",?", n-1) + `)`
		if _, err := tx.ExecContext(ctx, s.q(query), args...); err != nil {
			return s.errf("mark swept: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.errf("mark swept: commit: %w", err)
	}
	return nil
}

func (s *sqlStore) Counts(ctx context.Context) (map[string]int64, error) {
	m := map[string]int64{StatusWaiting: 0, StatusMigrated: 0, StatusSwept: 0}
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM lazy_users GROUP BY status`)
	if err != nil {
		return nil, s.errf("counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, s.errf("counts: %w", err)
		}
		m[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("counts: %w", err)
	}
	return m, nil
}

func (s *sqlStore) Close() error {
	if s.stop != nil {
		s.stop()
	}
	return s.db.Close()
}
