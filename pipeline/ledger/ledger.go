// Package ledger is a migration run's durable record in DIR/usher.db (SQLite, pure Go): the run's
// configuration, one row per user with its outcome, the import files written, and the checkpoint
// that --resume restarts from. Every checkpoint is one transaction, so the ledger is always
// consistent with itself; the import files sink makes its files consistent with the checkpoint.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// FileName is the ledger's name inside a run's output folder.
const FileName = "usher.db"

const schema = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(
  seq INTEGER PRIMARY KEY,   -- position in the input sequence (1-based)
  pos TEXT NOT NULL,         -- file:line
  status TEXT NOT NULL,      -- imported | lazy | rejected | held (to be merged) | merged (into an earlier account's user)
  email TEXT, user_id TEXT, username TEXT,
  file INTEGER,              -- import file number (imported users)
  hash TEXT,                 -- password format
  reasons TEXT,              -- reason codes, comma-separated (rejected, lazy)
  profile BLOB               -- the user as it would be imported, password material included (lazy users, for the hook)
);
CREATE INDEX IF NOT EXISTS users_held ON users(email, seq) WHERE status = 'held';
CREATE TABLE IF NOT EXISTS files(no INTEGER PRIMARY KEY, path TEXT NOT NULL, users INTEGER NOT NULL,
  bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs(
  file_no INTEGER PRIMARY KEY, -- the import file uploaded
  path TEXT NOT NULL, sha256 TEXT NOT NULL,
  state TEXT NOT NULL,       -- sending (outcome of the POST unknown) | submitted | done
  job_id TEXT, status TEXT,  -- Auth0's job id and final status
  summary TEXT,              -- the job's summary, JSON
  errors BLOB,               -- the per-user errors fetched from Auth0 (deleted there after 24 h), JSON
  detail TEXT,               -- status_details of a failed job
  resent INTEGER NOT NULL DEFAULT 0, -- sent again after a send whose answer was not recorded
  sent_at TEXT,              -- when the file was first sent
  recovered INTEGER NOT NULL DEFAULT 0, -- users an unrecorded earlier send had already created
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,
  file_no INTEGER NOT NULL, file_off INTEGER NOT NULL, file_users INTEGER NOT NULL, file_first INTEGER NOT NULL,
  rejects_off INTEGER NOT NULL, lazy_off INTEGER NOT NULL, state TEXT NOT NULL, done INTEGER NOT NULL);
`

// Ledger is an open ledger. Methods are not safe for concurrent use.
type Ledger struct {
	db *sql.DB
}

// Open opens (creating if needed) the ledger at path.
func Open(path string) (*Ledger, error) {
	// The ledger holds personal data and, for lazy users, password hashes: owner-only. SQLite
	// gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	f.Close()
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)&_pragma=cache_size(-8192)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return &Ledger{db: db}, nil
}

// Close closes the ledger.
func (l *Ledger) Close() error { return l.db.Close() }

// Meta returns a meta value ("" when absent).
func (l *Ledger) Meta(key string) (string, error) {
	var v string
	err := l.db.QueryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta stores a meta value.
func (l *Ledger) SetMeta(key, value string) error {
	_, err := l.db.Exec(`INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// User is one users row.
type User struct {
	Seq                     int64
	Pos                     string
	Status                  string
	Email, UserID, Username string
	File                    int
	Hash                    string
	Reasons                 string
	Profile                 []byte
}

// File is one import file written.
type File struct {
	No                int
	Path              string
	Users             int
	Bytes             int64
	SHA256            string
	FirstSeq, LastSeq int64
}

// Checkpoint is the resumable state of a run: every record with seq ≤ Seq is in the users table,
// and the output files hold exactly the bytes up to the recorded offsets.
type Checkpoint struct {
	Seq int64
	// FileNo is the import file being filled (1-based); FileOff its size so far (0: not created),
	// FileUsers the users in it and FileFirst the seq of its first user.
	FileNo, FileUsers   int
	FileOff             int64
	FileFirst           int64
	RejectsOff, LazyOff int64
	// State is the sink's aggregate state (report counts), opaque to the ledger.
	State string
	Done  bool
}

// Checkpoint returns the last checkpoint, or nil when the run never checkpointed.
func (l *Ledger) Checkpoint() (*Checkpoint, error) {
	c := &Checkpoint{}
	var done int
	err := l.db.QueryRow(`SELECT seq, file_no, file_off, file_users, file_first, rejects_off, lazy_off, state, done FROM checkpoint WHERE id = 1`).
		Scan(&c.Seq, &c.FileNo, &c.FileOff, &c.FileUsers, &c.FileFirst, &c.RejectsOff, &c.LazyOff, &c.State, &done)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: read checkpoint: %w", err)
	}
	c.Done = done != 0
	return c, nil
}

const rowsPerInsert = 256

// Commit stores users (replacing the rows of seqs already stored) and files and moves the
// checkpoint, atomically.
func (l *Ledger) Commit(ctx context.Context, users []User, files []File, c Checkpoint) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer tx.Rollback()
	if err := insertUsers(ctx, tx, users); err != nil {
		return err
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO files(no, path, users, bytes, sha256, first_seq, last_seq) VALUES(?,?,?,?,?,?,?)`,
			f.No, f.Path, f.Users, f.Bytes, f.SHA256, f.FirstSeq, f.LastSeq); err != nil {
			return fmt.Errorf("ledger: file %s: %w", f.Path, err)
		}
	}
	done := 0
	if c.Done {
		done = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoint(id, seq, file_no, file_off, file_users, file_first, rejects_off, lazy_off, state, done)
		VALUES(1,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, file_no=excluded.file_no, file_off=excluded.file_off,
		file_users=excluded.file_users, file_first=excluded.file_first, rejects_off=excluded.rejects_off, lazy_off=excluded.lazy_off,
		state=excluded.state, done=excluded.done`,
		c.Seq, c.FileNo, c.FileOff, c.FileUsers, c.FileFirst, c.RejectsOff, c.LazyOff, c.State, done); err != nil {
		return fmt.Errorf("ledger: checkpoint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	return nil
}

func insertUsers(ctx context.Context, tx *sql.Tx, users []User) error {
	var full *sql.Stmt
	args := make([]any, 0, rowsPerInsert*10)
	for len(users) > 0 {
		n := min(len(users), rowsPerInsert)
		chunk := users[:n]
		users = users[n:]
		args = args[:0]
		for i := range chunk {
			u := &chunk[i]
			var file any
			if u.File > 0 {
				file = u.File
			}
			args = append(args, u.Seq, u.Pos, u.Status, nullable(u.Email), nullable(u.UserID), nullable(u.Username), file, u.Hash, nullable(u.Reasons), u.Profile)
		}
		var err error
		if n == rowsPerInsert {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertSQL(rowsPerInsert)); err != nil {
					return fmt.Errorf("ledger: %w", err)
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertSQL(n), args...)
		}
		if err != nil {
			return fmt.Errorf("ledger: insert users: %w", err)
		}
	}
	return nil
}

func insertSQL(n int) string {
	return `INSERT OR REPLACE INTO users(seq, pos, status, email, user_id, username, file, hash, reasons, profile) VALUES` +
		strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?),", n), ",")
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// userColumns are the users columns scanUser reads (the profile is not loaded).
const userColumns = `seq, pos, status, email, user_id, username, file, hash, reasons`

// scanUser reads one row of userColumns.
func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var email, uid, uname, reasons sql.NullString
	var file sql.NullInt64
	if err := row.Scan(&u.Seq, &u.Pos, &u.Status, &email, &uid, &uname, &file, &u.Hash, &reasons); err != nil {
		return u, err
	}
	u.Email, u.UserID, u.Username, u.Reasons, u.File = email.String, uid.String, uname.String, reasons.String, int(file.Int64)
	return u, nil
}

// UserBySeq returns one user row.
func (l *Ledger) UserBySeq(seq int64) (User, error) {
	u, err := scanUser(l.db.QueryRow(`SELECT `+userColumns+` FROM users WHERE seq = ?`, seq))
	if err != nil {
		return u, fmt.Errorf("ledger: user %d: %w", seq, err)
	}
	return u, nil
}

// EachClaim calls fn, in seq order, for every user that holds its identity (imported or lazy)
// with seq ≤ upTo. Held and merged records hold their user_id only (the merged user's row holds
// the e-mail and the username).
func (l *Ledger) EachClaim(ctx context.Context, upTo int64, fn func(seq int64, email, userID, username string) error) error {
	rows, err := l.db.QueryContext(ctx, `SELECT seq, CASE WHEN status IN ('held','merged') THEN NULL ELSE email END, user_id,
		CASE WHEN status IN ('held','merged') THEN NULL ELSE username END
		FROM users WHERE seq <= ? AND status IN ('imported','lazy','held','merged') ORDER BY seq`, upTo)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var e, i, u sql.NullString
		if err := rows.Scan(&seq, &e, &i, &u); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		if err := fn(seq, e.String, i.String, u.String); err != nil {
			return err
		}
	}
	return rows.Err()
}

// HeldEmails returns up to limit e-mails of held records greater than after, in order.
func (l *Ledger) HeldEmails(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT DISTINCT email FROM users WHERE status = 'held' AND email > ? ORDER BY email LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// HeldPage returns up to limit held records whose e-mail is greater than after, in e-mail then seq
// order, with their profiles. The last e-mail's records may continue on the next page.
func (l *Ledger) HeldPage(ctx context.Context, after string, limit int) ([]User, error) {
	return l.usersWithProfiles(ctx, `SELECT `+userColumns+`, profile FROM users WHERE status = 'held' AND email > ? ORDER BY email, seq LIMIT ?`, after, limit)
}

// Held returns the held records of one e-mail, in seq order, with their profiles.
func (l *Ledger) Held(ctx context.Context, email string) ([]User, error) {
	return l.usersWithProfiles(ctx, `SELECT `+userColumns+`, profile FROM users WHERE status = 'held' AND email = ? ORDER BY seq`, email)
}

// usersWithProfiles runs a query of userColumns and profile and returns its rows.
func (l *Ledger) usersWithProfiles(ctx context.Context, query string, args ...any) ([]User, error) {
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanProfile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// scanProfile reads one row of userColumns and profile.
func scanProfile(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var email, uid, uname, reasons sql.NullString
	var file sql.NullInt64
	if err := row.Scan(&u.Seq, &u.Pos, &u.Status, &email, &uid, &uname, &file, &u.Hash, &reasons, &u.Profile); err != nil {
		return u, fmt.Errorf("ledger: %w", err)
	}
	u.Email, u.UserID, u.Username, u.Reasons, u.File = email.String, uid.String, uname.String, reasons.String, int(file.Int64)
	return u, nil
}

// IsLedger reports whether the SQLite file at path holds a migrate run's ledger (a store that a
// migrate run filled: its lazy users share the file). A missing file is no ledger.
func IsLedger(path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return false, fmt.Errorf("ledger %s: %w", path, err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users','checkpoint')`).Scan(&n); err != nil {
		return false, fmt.Errorf("ledger %s: %w", path, err)
	}
	return n == 2, nil
}

// Settled returns, among the given lower-cased e-mails and user_ids, those the run settled: users
// it wrote to import files (imported), accounts it merged into another account's user (merged),
// and users it holds for lazy migration (lazy), keyed by the e-mail or user_id, with the row's
// status, user_id and position. It indexes the users table by e-mail and user_id on first use.
func (l *Ledger) Settled(ctx context.Context, emails, userIDs []string) (map[string]User, error) {
	for _, q := range []string{`CREATE INDEX IF NOT EXISTS users_email ON users(email)`, `CREATE INDEX IF NOT EXISTS users_user_id ON users(user_id)`} {
		if _, err := l.db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
	}
	out := map[string]User{}
	for _, col := range []string{"email", "user_id"} {
		values := emails
		if col == "user_id" {
			values = userIDs
		}
		for len(values) > 0 {
			n := min(len(values), 500)
			args := make([]any, n)
			for i, v := range values[:n] {
				args[i] = v
			}
			values = values[n:]
			// A merged account's e-mail is its user's: only its user_id says it was merged.
			statuses := `('imported','lazy')`
			if col == "user_id" {
				statuses = `('imported','lazy','merged')`
			}
			rows, err := l.db.QueryContext(ctx, `SELECT `+col+`, status, user_id, pos FROM users WHERE status IN `+statuses+` AND `+col+
				` IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
			if err != nil {
				return nil, fmt.Errorf("ledger: %w", err)
			}
			for rows.Next() {
				var v string
				var u User
				var uid sql.NullString
				if err := rows.Scan(&v, &u.Status, &uid, &u.Pos); err != nil {
					rows.Close()
					return nil, fmt.Errorf("ledger: %w", err)
				}
				u.UserID = uid.String
				out[v] = u
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("ledger: %w", err)
			}
		}
	}
	return out, nil
}

// Truncate removes users and files beyond a checkpoint (left by nothing in normal operation, but
// it makes resuming idempotent).
func (l *Ledger) Truncate(c Checkpoint) error {
	if _, err := l.db.Exec(`DELETE FROM users WHERE seq > ?`, c.Seq); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if _, err := l.db.Exec(`DELETE FROM files WHERE no >= ?`, c.FileNo); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}

// Files lists the import files written, in order.
func (l *Ledger) Files() ([]File, error) {
	rows, err := l.db.Query(`SELECT no, path, users, bytes, sha256, first_seq, last_seq FROM files ORDER BY no`)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.No, &f.Path, &f.Users, &f.Bytes, &f.SHA256, &f.FirstSeq, &f.LastSeq); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Job is one jobs row: the upload journal entry of an import file.
type Job struct {
	FileNo       int
	Path, SHA256 string
	// State is "sending" (the upload request may or may not have reached Auth0), "submitted" (Auth0
	// answered with JobID) or "done" (Status, Summary and Errors are final).
	State, JobID, Status string
	Summary              []byte // JSON
	Errors               []byte // JSON array of per-user errors, nil when none
	Detail               string
	Resent               bool
	// SentAt is when the file was first sent; Recovered counts the users Auth0 refused as
	// conflicts on a resend because the unrecorded first send had created them.
	SentAt    string
	Recovered int
	UpdatedAt string
}

// Jobs returns the upload journal, in file order.
func (l *Ledger) Jobs() ([]Job, error) {
	rows, err := l.db.Query(`SELECT file_no, path, sha256, state, job_id, status, summary, errors, detail, resent, sent_at, recovered, updated_at FROM jobs ORDER BY file_no`)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var j Job
		var id, status, summary, detail, sentAt sql.NullString
		var resent int
		if err := rows.Scan(&j.FileNo, &j.Path, &j.SHA256, &j.State, &id, &status, &summary, &j.Errors, &detail, &resent, &sentAt, &j.Recovered, &j.UpdatedAt); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		j.JobID, j.Status, j.Detail, j.Resent, j.SentAt = id.String, status.String, detail.String, resent != 0, sentAt.String
		if summary.Valid {
			j.Summary = []byte(summary.String)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// PutJob records a journal entry (replacing the file's previous one), durably.
func (l *Ledger) PutJob(j Job) error {
	resent := 0
	if j.Resent {
		resent = 1
	}
	var summary any
	if j.Summary != nil {
		summary = string(j.Summary)
	}
	_, err := l.db.Exec(`INSERT OR REPLACE INTO jobs(file_no, path, sha256, state, job_id, status, summary, errors, detail, resent, sent_at, recovered, updated_at)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)`, j.FileNo, j.Path, j.SHA256, j.State, nullable(j.JobID), nullable(j.Status), summary, j.Errors,
		nullable(j.Detail), resent, nullable(j.SentAt), j.Recovered, j.UpdatedAt)
	if err != nil {
		return fmt.Errorf("ledger: journal %s: %w", j.Path, err)
	}
	return nil
}

// FileUsers returns the users written to import file no, in seq order (profiles not loaded).
func (l *Ledger) FileUsers(no int) ([]User, error) {
	rows, err := l.db.Query(`SELECT `+userColumns+` FROM users WHERE file = ? ORDER BY seq`, no)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetOutcomes changes the status and reasons of users (by seq) in one transaction; users absent
// from outcomes keep theirs. It is idempotent.
func (l *Ledger) SetOutcomes(ctx context.Context, outcomes map[int64][2]string) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `UPDATE users SET status = ?, reasons = ? WHERE seq = ?`)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer stmt.Close()
	for seq, o := range outcomes {
		if _, err := stmt.ExecContext(ctx, o[0], nullable(o[1]), seq); err != nil {
			return fmt.Errorf("ledger: user %d: %w", seq, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	return nil
}

// EachLazy calls fn, in seq order, for every user held for lazy migration, with its profile
// (password material included).
func (l *Ledger) EachLazy(ctx context.Context, fn func(User) error) error {
	rows, err := l.db.QueryContext(ctx, `SELECT `+userColumns+`, profile FROM users WHERE status = 'lazy' ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanProfile(rows)
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	return rows.Err()
}
