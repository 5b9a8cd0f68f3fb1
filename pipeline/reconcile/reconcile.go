// Package reconcile compares an Auth0 connection, read as a users export, with what usher runs
// sent to it: the users of a migrate run's import files that the upload's jobs did not refuse,
// the users of sweep runs' import files, and the run's lazy users that the lazy-migration store
// marks migrated (they signed in, so Auth0 created them). Every expected user must be present
// exactly once with the fields that were sent; every other user of the connection is extra.
//
// Memory stays bounded whatever the tenant's size: the users sent are written to an index in a
// temporary SQLite file (key → the compared fields as sent, position, kind, whether seen), one
// import file at a time, and the export is streamed line by line against it; the users never
// seen are read back from the index at the end.
//
// Matching: by user_id (Auth0 prefixes "auth0|" for database users; it is taken off both sides),
// else, for users sent without a user_id, by e-mail (case-insensitive).
package reconcile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/store"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// FileName is the differences file inside the run folder.
const FileName = "reconcile.ndjson"

// Fields are the profile fields compared, when the user was sent with them. Everything else
// Auth0 adds (identities, created_at, …) is ignored, and so is password material, which is never
// exported.
var Fields = []string{"email", "email_verified", "given_name", "family_name", "name", "nickname",
	"picture", "username", "blocked", "user_metadata", "app_metadata"}

// caseless are the fields Auth0 lower-cases: compared without regard to case.
var caseless = map[string]bool{"email": true, "username": true}

// Kinds of difference (Diff.Kind).
const (
	KindMissing   = "missing"
	KindExtra     = "extra"
	KindAltered   = "altered"
	KindDuplicate = "duplicate"
)

// Diff is one line of reconcile.ndjson.
type Diff struct {
	Kind     string `json:"kind"`
	UserID   string `json:"user_id,omitempty"`
	Email    string `json:"email,omitempty"`
	Field    string `json:"field,omitempty"`
	Sent     any    `json:"sent,omitempty"`
	Found    any    `json:"found,omitempty"`
	Position string `json:"position,omitempty"`
}

// Run is a run folder whose import files were sent.
type Run struct {
	Dir string
	// Kind is "imported" (the migrate run) or "swept" (a sweep run).
	Kind string
}

// Config configures Reconcile.
type Config struct {
	// Runs are the migrate run (first) and the sweep runs.
	Runs []Run
	// LazyFrom is the run folder whose ledger holds the lazy users ("" for none).
	LazyFrom string
	// Store is the lazy-migration store (nil: no lazy user is expected present).
	Store store.Store
	// Export streams the connection's users, one Auth0 export NDJSON line each.
	Export func(ctx context.Context, emit func(line []byte) error) error
	// Out receives reconcile.ndjson's lines.
	Out io.Writer
	// TempDir holds the index while it runs ("" for the system's).
	TempDir string
	Logf    func(format string, args ...any)
}

// Index row kinds.
const (
	kindImported = "imported"
	kindSwept    = "swept"
	kindLazy     = "lazy"     // migrated through the hook
	kindWaiting  = "waiting"  // still waiting: expected absent
	kindRejected = "rejected" // refused by an import job: expected absent
)

type reconciler struct {
	cfg  Config
	db   *sql.DB
	out  *json.Encoder
	sum  runreport.Reconcile
	look *sql.Stmt
}

// Reconcile compares and writes the differences to cfg.Out. It returns the summary (File left
// empty for the caller to set).
func Reconcile(ctx context.Context, cfg Config) (runreport.Reconcile, error) {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	tmp, err := os.MkdirTemp(cfg.TempDir, "usher-reconcile-")
	if err != nil {
		return runreport.Reconcile{}, err
	}
	defer os.RemoveAll(tmp)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(tmp, "index.db")+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-16384)")
	if err != nil {
		return runreport.Reconcile{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE sent(n INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, uid TEXT, email TEXT,
		fields BLOB NOT NULL, pos TEXT, kind TEXT NOT NULL, expect INTEGER NOT NULL, seen TEXT)`); err != nil {
		return runreport.Reconcile{}, err
	}
	r := &reconciler{cfg: cfg, db: db, out: json.NewEncoder(cfg.Out)}
	r.out.SetEscapeHTML(false)
	for _, run := range cfg.Runs {
		if err := r.indexRun(ctx, run); err != nil {
			return r.sum, err
		}
	}
	if cfg.LazyFrom != "" && cfg.Store != nil {
		if err := r.indexLazy(ctx, cfg.LazyFrom); err != nil {
			return r.sum, err
		}
	}
	if r.look, err = db.PrepareContext(ctx, `SELECT n, uid, email, fields, pos, kind, expect, seen FROM sent WHERE key = ?`); err != nil {
		return r.sum, err
	}
	defer r.look.Close()
	if err := cfg.Export(ctx, func(line []byte) error { return r.tenantUser(ctx, line) }); err != nil {
		return r.sum, err
	}
	if err := r.unseen(ctx); err != nil {
		return r.sum, err
	}
	r.sum.Equal = r.sum.Missing == 0 && r.sum.Extra == 0 && r.sum.Altered == 0 && r.sum.Duplicate == 0
	return r.sum, nil
}

// key is a user's index key: "id:"+user_id without "auth0|", else "email:"+lower-cased e-mail.
func key(userID, email string) string {
	if id := strings.TrimPrefix(userID, "auth0|"); id != "" {
		return "id:" + id
	}
	if email != "" {
		return "email:" + strings.ToLower(strings.TrimSpace(email))
	}
	return ""
}

// entry is one user sent.
type entry struct {
	uid, email, pos, kind string
	fields                []byte // JSON object of the compared fields as sent
}

func (e entry) expected() bool { return e.kind != kindWaiting && e.kind != kindRejected }

// project returns the compared fields of a sent user (a JSON object), with its user_id and email.
func project(user []byte) (entry, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(user, &m); err != nil {
		return entry{}, err
	}
	var e entry
	json.Unmarshal(m["user_id"], &e.uid)
	json.Unmarshal(m["email"], &e.email)
	keep := map[string]json.RawMessage{}
	for _, f := range Fields {
		if v, ok := m[f]; ok {
			keep[f] = v
		}
	}
	b, err := json.Marshal(keep)
	e.fields = b
	return e, err
}

// add puts e in the index. A key already there: an expected user replaces one expected absent
// silently (refused by one job, imported by another run); two expected users are a duplicate.
func (r *reconciler) add(ctx context.Context, tx *sql.Tx, e entry) error {
	k := key(e.uid, e.email)
	if k == "" {
		return nil // nothing to match it by (the validator never lets such a user through)
	}
	expect := 0
	if e.expected() {
		expect = 1
	}
	var n int64
	var oldExpect int
	var oldPos sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT n, expect, pos FROM sent WHERE key = ?`, k).Scan(&n, &oldExpect, &oldPos)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO sent(key, uid, email, fields, pos, kind, expect) VALUES(?,?,?,?,?,?,?)`,
			k, e.uid, e.email, e.fields, e.pos, e.kind, expect)
		return err
	case err != nil:
		return err
	case expect == 0:
		return nil
	case oldExpect == 0:
		_, err = tx.ExecContext(ctx, `UPDATE sent SET uid = ?, email = ?, fields = ?, pos = ?, kind = ?, expect = 1 WHERE n = ?`,
			e.uid, e.email, e.fields, e.pos, e.kind, n)
		return err
	}
	r.sum.Duplicate++
	return r.emit(Diff{Kind: KindDuplicate, UserID: e.uid, Email: e.email, Sent: "also sent at " + oldPos.String, Position: e.pos})
}

// indexRun indexes a run's import files, each user with its ledger row (same order): imported,
// or refused by its import job (expected absent).
func (r *reconciler) indexRun(ctx context.Context, run Run) error {
	led, err := openLedger(run.Dir)
	if err != nil {
		return err
	}
	defer led.Close()
	files, err := led.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(run.Dir, f.Path)) // at most --max-file-bytes (≤ 512000)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			return fmt.Errorf("%s was changed after the run wrote it (checksum differs)", filepath.Join(run.Dir, f.Path))
		}
		var users []json.RawMessage
		if err := json.Unmarshal(data, &users); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(run.Dir, f.Path), err)
		}
		rows, err := led.FileUsers(f.No)
		if err != nil {
			return err
		}
		if len(rows) != len(users) {
			return fmt.Errorf("%s holds %d users, the ledger %d", filepath.Join(run.Dir, f.Path), len(users), len(rows))
		}
		tx, err := r.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i, u := range users {
			e, err := project(u)
			if err != nil {
				tx.Rollback()
				return fmt.Errorf("%s: user %d: %w", f.Path, i+1, err)
			}
			e.pos, e.kind = rows[i].Pos, run.Kind
			if rows[i].Status == "rejected" {
				e.kind = kindRejected
			}
			if err := r.add(ctx, tx, e); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// indexLazy indexes the run's lazy users as the store knows them: migrated (expected present
// with their profile, which the hook answered), swept (expected present; already indexed when
// their sweep folder was given), waiting or unknown to the store (expected absent).
func (r *reconciler) indexLazy(ctx context.Context, dir string) error {
	led, err := openLedger(dir)
	if err != nil {
		return err
	}
	defer led.Close()
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	n := 0
	// The ledger's walk holds the ledger's connection only: the store and the index are other
	// databases (the store may be the same SQLite file, read beside it in WAL mode).
	err = led.EachLazy(ctx, func(u ledger.User) error {
		skey := u.UserID
		if skey == "" {
			skey = strings.ToLower(u.Email)
		}
		kind := kindWaiting
		su, err := r.cfg.Store.Get(ctx, skey)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case su.Status == store.StatusMigrated:
			kind = kindLazy
		case su.Status == store.StatusSwept:
			kind = kindSwept
		}
		e, err := project(u.Profile)
		if err != nil {
			return fmt.Errorf("lazy user at %s: %w", u.Pos, err)
		}
		e.pos, e.kind = u.Pos, kind
		if kind == kindSwept {
			var c int
			if tx.QueryRowContext(ctx, `SELECT count(*) FROM sent WHERE key = ? AND kind = 'swept'`, key(e.uid, e.email)).Scan(&c); c > 0 {
				return nil // its sweep folder sent it
			}
		}
		if err := r.add(ctx, tx, e); err != nil {
			return err
		}
		if n++; n%1000 == 0 {
			if err := tx.Commit(); err != nil {
				return err
			}
			if tx, err = r.db.BeginTx(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tx.Commit()
}

func openLedger(dir string) (*ledger.Ledger, error) {
	p := filepath.Join(dir, ledger.FileName)
	if ok, err := ledger.IsLedger(p); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%s: not a run folder (no ledger %s)", dir, ledger.FileName)
	}
	return ledger.Open(p)
}

// tenantUser handles one exported user.
func (r *reconciler) tenantUser(ctx context.Context, line []byte) error {
	found, err := decode(line)
	if err != nil {
		return fmt.Errorf("the export holds a line that is not a JSON object: %w", err)
	}
	obj, ok := found.(map[string]any)
	if !ok {
		return errors.New("the export holds a line that is not a JSON object")
	}
	r.sum.Tenant++
	uid, _ := obj["user_id"].(string)
	email, _ := obj["email"].(string)
	var row struct {
		n               int64
		uid, email, pos sql.NullString
		fields          []byte
		kind            string
		expect          int
		seen            sql.NullString
	}
	lookup := func(k string) (bool, error) {
		err := r.look.QueryRowContext(ctx, k).Scan(&row.n, &row.uid, &row.email, &row.fields, &row.pos, &row.kind, &row.expect, &row.seen)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	hit, err := lookup(key(uid, ""))
	if err == nil && !hit && email != "" {
		hit, err = lookup(key("", email))
	}
	if err != nil {
		return err
	}
	if !hit {
		e, ok, err := r.fromStore(ctx, uid, email)
		if err != nil {
			return err
		}
		if !ok {
			r.sum.Extra++
			return r.emit(Diff{Kind: KindExtra, UserID: uid, Email: email})
		}
		// A user the store marks signed in (registered after the export, staged elsewhere): it
		// was sent by the hook.
		res, err := r.db.ExecContext(ctx, `INSERT OR IGNORE INTO sent(key, uid, email, fields, pos, kind, expect, seen) VALUES(?,?,?,?,?,?,1,?)`,
			key(e.uid, e.email), e.uid, e.email, e.fields, e.pos, kindLazy, uid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			r.sum.Extra++ // its key is taken by another sent user: not this one
			return r.emit(Diff{Kind: KindExtra, UserID: uid, Email: email})
		}
		return r.compare(e, obj)
	}
	if row.seen.Valid {
		r.sum.Duplicate++
		return r.emit(Diff{Kind: KindDuplicate, UserID: row.uid.String, Email: row.email.String,
			Found: []string{row.seen.String, uid}, Position: row.pos.String})
	}
	if _, err := r.db.ExecContext(ctx, `UPDATE sent SET seen = ? WHERE n = ?`, uid, row.n); err != nil {
		return err
	}
	if row.kind == kindRejected {
		return nil // refused by its job: the tenant's user is the one it conflicted with
	}
	// A waiting user found signed in but not marked (a mark lost in a crash) is compared with the
	// profile the hook answered, like a migrated one.
	return r.compare(entry{uid: row.uid.String, email: row.email.String, pos: row.pos.String, fields: row.fields}, obj)
}

// fromStore looks a tenant user the runs did not send up in the store: a user the store holds
// (by user_id, else by e-mail) that has left waiting or was signed in.
func (r *reconciler) fromStore(ctx context.Context, uid, email string) (entry, bool, error) {
	if r.cfg.Store == nil {
		return entry{}, false, nil
	}
	id := strings.TrimPrefix(uid, "auth0|")
	su, err := r.cfg.Store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) && email != "" {
		su, err = r.cfg.Store.Get(ctx, strings.ToLower(email))
		if err == nil && su.UserID != "" && strings.TrimPrefix(su.UserID, "auth0|") != id {
			err = store.ErrNotFound
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return entry{}, false, nil
	}
	if err != nil {
		return entry{}, false, err
	}
	if su.Status != store.StatusMigrated && su.Status != store.StatusSwept {
		return entry{}, false, nil
	}
	e, err := project(su.Profile)
	if err != nil {
		return entry{}, false, fmt.Errorf("store user %s: %w", su.Key, err)
	}
	e.pos = su.Position
	if e.uid == "" && e.email == "" {
		e.uid = id
	}
	return e, true, nil
}

// compare writes an altered line per field sent that the tenant's user does not hold.
func (r *reconciler) compare(e entry, found map[string]any) error {
	v, err := decode(e.fields)
	if err != nil {
		return err
	}
	sent := v.(map[string]any)
	altered := false
	for _, f := range Fields {
		s, ok := sent[f]
		if !ok {
			continue
		}
		got := found[f]
		if equal(s, got, caseless[f]) {
			continue
		}
		altered = true
		if err := r.emit(Diff{Kind: KindAltered, UserID: e.uid, Email: e.email, Field: f, Sent: orNull(s), Found: orNull(got), Position: e.pos}); err != nil {
			return err
		}
	}
	if altered {
		r.sum.Altered++
	}
	return nil
}

// null is JSON null in a Diff (omitempty leaves a nil interface out).
var null = json.RawMessage("null")

func orNull(v any) any {
	if v == nil {
		return null
	}
	return v
}

// unseen writes the missing lines and counts the users expected absent.
func (r *reconciler) unseen(ctx context.Context) error {
	// Checked: every user expected present, and the waiting users found signed in all the same.
	if err := r.db.QueryRowContext(ctx, `SELECT count(*) FROM sent WHERE expect = 1 OR (kind = ? AND seen IS NOT NULL)`, kindWaiting).Scan(&r.sum.Checked); err != nil {
		return err
	}
	rows, err := r.db.QueryContext(ctx, `SELECT uid, email, pos, kind, expect FROM sent WHERE seen IS NULL ORDER BY n`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var uid, email, pos sql.NullString
		var kind string
		var expect int
		if err := rows.Scan(&uid, &email, &pos, &kind, &expect); err != nil {
			return err
		}
		switch {
		case kind == kindWaiting:
			r.sum.Lazy++
		case kind == kindRejected:
			r.sum.Rejected++
		case expect == 1:
			r.sum.Missing++
			if err := r.emit(Diff{Kind: KindMissing, UserID: uid.String, Email: email.String, Position: pos.String}); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

func (r *reconciler) emit(d Diff) error { return r.out.Encode(d) }

// decode reads JSON keeping numbers exact.
func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

// equal compares JSON values: numbers by value (1 and 1.0 are equal), objects key by key,
// strings exactly or, for caseless fields, without regard to case.
func equal(a, b any, fold bool) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		if fold {
			return ok && strings.EqualFold(x, y)
		}
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, okx := new(big.Float).SetPrec(200).SetString(string(x))
		fy, oky := new(big.Float).SetPrec(200).SetString(string(y))
		if !okx || !oky {
			return x == y
		}
		return fx.Cmp(fy) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i], false) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w, false) {
				return false
			}
		}
		return true
	}
	return false
}
