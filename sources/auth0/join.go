package auth0

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
)

// Codes of the join, in rejects.ndjson and JoinFile.
const (
	// CodeNotInUsersExport: a password-export line that matches no exported user.
	CodeNotInUsersExport = "not_in_users_export"
	// CodeNoPasswordHash: an exported database user with no line in the password export.
	CodeNoPasswordHash = "no_password_hash"
)

// JoinFile is the file, in the run's folder, that lists what the join left unpaired: one JSON
// line per password-export line no user took (not_in_users_export) and per database user no line
// gave a password (no_password_hash), with its position, user_id, e-mail and connection (never a
// hash). It is rewritten whole by every run (a resumed one too).
const JoinFile = "auth0-passwords-join.ndjson"

// joinSource reads the users (export files, or a tenant's live export) and joins Auth0's
// password-hash export to them:
//
//   - a user whose user_id is "auth0|<id>", or who has an "auth0" identity with user_id <id>,
//     takes the line whose _id.$oid (or alt_id) is <id>;
//   - else a database user whose user_id is not an ObjectId (a custom id, or none) takes the one
//     line with the same e-mail (lower-cased; in the same connection when both say). A user
//     whose user_id is an ObjectId the export lacks is not given another account's line with
//     their e-mail: that line (a deleted and re-created account's old password) is rejected
//     not_in_users_export instead of imported;
//   - the matched passwordHash becomes the user's password_hash (and the line's email_verified
//     fills a missing one); the hash rules route it (bcrypt $2a$/$2b$ cost 10 is imported as it
//     is, other costs go through the hash package);
//   - database users no line matches stay without a password (--passwordless decides);
//   - lines no user took follow the users, in file order, as records of their own (user_id
//     "auth0|<oid>", email, email_verified, the hash, and connection, tenant and
//     password_set_date as provenance), imported or, with unmatched-passwords=reject, rejected
//     not_in_users_export; unusable lines are rejected parse_error. Lines of other connections
//     than the connection option names are left out (counted in the log, as are the lines no
//     user took of connections no exported user is in).
//
// The index is rebuilt by every Read, so a second pass (--duplicates merge) or a resumed run
// frames the same records.
type joinSource struct {
	inner      pipeline.Source
	passwords  string
	connection string
	reject     bool // unmatched-passwords=reject
	workDir    string
	logf       func(format string, args ...any)
}

// joined is the Aux of a user the join gave a password.
type joined struct {
	inner         any // the record's own Aux (a CSV header)
	hash          string
	emailVerified any
}

// passwordOnly is the Aux of a password-export line no user took; why, when set, rejects it.
type passwordOnly struct{ why string }

// Read frames the users, joining each to its password, then the lines no user took.
func (s *joinSource) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	tmpDir := ""
	if s.workDir != "" {
		if st, err := os.Stat(s.workDir); err == nil && st.IsDir() {
			tmpDir = s.workDir
		}
	}
	x, err := openIndex(s.passwords, tmpDir, s.connection)
	if err != nil {
		return fmt.Errorf("auth0 source: %w", err)
	}
	defer x.close()
	list, err := newJoinList(tmpDir)
	if err != nil {
		return fmt.Errorf("auth0 source: %w", err)
	}
	defer list.abort()
	st := joinStats{userConns: map[string]bool{}, foreign: map[string]int64{}}
	err = s.inner.Read(ctx, func(raw pipeline.RawRecord) error {
		if raw.Err == nil {
			if _, flagged := raw.Aux.(pipeline.Issue); !flagged {
				if err := s.join(x, &raw, &st, list); err != nil {
					return err
				}
			}
		}
		return emit(raw)
	})
	if err != nil {
		return err
	}
	for i := 0; i < len(x.lines)-1; i++ {
		state := x.lines[i]
		if state&(lineMatched|lineBlank) != 0 {
			continue
		}
		if state&lineOther != 0 {
			st.other++
			continue
		}
		raw := pipeline.RawRecord{Pos: pipeline.Position{File: x.name, Line: i + 1}}
		b, terr := x.text(i)
		if terr == nil {
			raw.Data = bytes.Clone(b)
		}
		switch {
		case state&lineInvalid != 0:
			st.invalid++
			raw.Err = errors.New(x.bad[i])
		case terr != nil:
			return terr
		default:
			st.only++
			aux := &passwordOnly{}
			if state&lineStale != 0 {
				st.stale++
				aux.why = "the user with this e-mail in the users export has another id (a deleted and re-created account?): " +
					"this line's password is not theirs to import"
			} else if s.reject {
				aux.why = "no user of the users export has this id or e-mail (unmatched-passwords=reject)"
			}
			raw.Aux = aux
			if e, err := parseLine(b); err == nil {
				if e.connection != "" && len(st.userConns) > 0 && !st.userConns[e.connection] {
					st.foreign[e.connection]++
				}
				why := "not in the users export"
				if aux.why != "" {
					why = aux.why
				}
				list.add(CodeNotInUsersExport, raw.Pos, "auth0|"+firstOf(e.altID, e.oid), e.email, e.connection, why)
			}
		}
		if err := emit(raw); err != nil {
			return err
		}
		if i&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	where, err := list.commit(s.workDir)
	if err != nil {
		return fmt.Errorf("auth0 source: %w", err)
	}
	if s.logf != nil {
		s.logf("%s", st.summary(x.name, s.reject, s.connection, where))
	}
	return nil
}

func firstRaw(a, b json.RawMessage) json.RawMessage {
	if a != nil {
		return a
	}
	return b
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// join looks up raw's user in the index and records the match in raw.Aux.
func (s *joinSource) join(x *pwIndex, raw *pipeline.RawRecord, st *joinStats, list *joinList) error {
	rec := s.peek(raw)
	if rec == nil {
		return nil // undecodable: the record is rejected parse_error
	}
	k := keysOf(rec)
	st.users++
	if !k.database {
		return nil
	}
	if k.conn != "" {
		st.userConns[k.conn] = true
	}
	for _, id := range k.ids {
		line, e, ok, err := x.byID(id)
		if err != nil {
			return err
		}
		if ok {
			x.mark(line)
			raw.Aux = &joined{inner: raw.Aux, hash: e.hash, emailVerified: e.emailVerified}
			st.byID++
			return nil
		}
	}
	why := "no line of the password export has its id"
	if k.email != "" {
		line, e, ok, ambiguous, err := x.byEmail(k.email, k.conn)
		switch {
		case err != nil:
			return err
		case ok && k.oidOnly:
			x.lines[line] |= lineStale
			why = "no line has its id; the line with its e-mail names another id"
		case ok:
			x.mark(line)
			raw.Aux = &joined{inner: raw.Aux, hash: e.hash, emailVerified: e.emailVerified}
			st.byEmail++
			return nil
		case ambiguous:
			why = "no line has its id, and several lines have its e-mail"
		default:
			why = "no line of the password export has its id or e-mail"
		}
	}
	st.noHash++
	list.add(CodeNoPasswordHash, raw.Pos, k.userID, k.email, k.conn, why)
	raw.Aux = &unpaired{inner: raw.Aux, why: why}
	return nil
}

// unpaired is the Aux of a database user the password export had no hash for.
type unpaired struct {
	inner any
	why   string
}

// Warnings implements pipeline.Warner: a database user without a hash (no_password_hash) and a
// password line imported as a user of its own (not_in_users_export) are counted in report.json.
func (s *joinSource) Warnings(raw *pipeline.RawRecord) []pipeline.Issue {
	switch a := raw.Aux.(type) {
	case *unpaired:
		return []pipeline.Issue{{Code: CodeNoPasswordHash, Field: "password_hash",
			Message: "the password export has no hash for this database user (" + a.why + "): imported without a password"}}
	case *passwordOnly:
		if a.why == "" {
			return []pipeline.Issue{{Code: CodeNotInUsersExport,
				Message: "a password-export line no user of the users export took: imported as a user of its own"}}
		}
	}
	return nil
}

// peek decodes what the join needs of a framed user: a CSV row whole, only the identifying keys
// of a JSON record. It returns nil for a record that cannot be decoded.
func (s *joinSource) peek(raw *pipeline.RawRecord) map[string]any {
	if raw.Data == nil {
		rec, err := s.inner.Decode(raw)
		if err != nil {
			return nil
		}
		return rec
	}
	// The fast path: the names Auth0 exports carry (matched case-insensitively: "Id", "Email").
	var head struct {
		UserID     json.RawMessage `json:"user_id"`
		ID         json.RawMessage `json:"id"`
		Email      json.RawMessage `json:"email"`
		Connection json.RawMessage `json:"connection"`
		Provider   json.RawMessage `json:"provider"`
		Identities json.RawMessage `json:"identities"`
	}
	if err := json.Unmarshal(raw.Data, &head); err != nil {
		return nil
	}
	if (head.UserID != nil || head.ID != nil) && head.Email != nil && !bytes.Contains(raw.Data, []byte(`"identities[`)) {
		rec := map[string]any{}
		for key, v := range map[string]json.RawMessage{"user_id": head.UserID, "email": head.Email,
			"connection": firstRaw(head.Connection, head.Provider), "identities": head.Identities} {
			if key == "user_id" && v == nil {
				v = head.ID
			}
			if v != nil {
				if val, err := pipeline.DecodeValue(v); err == nil {
					rec[key] = val
				}
			}
		}
		return rec
	}
	// Any other naming: every key through the mapping's alias table.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw.Data, &top); err != nil {
		return nil
	}
	rec := map[string]any{}
	for key, v := range top {
		canon, _ := mappings.Canonical(key)
		switch {
		case canon == "user_id", canon == "email", canon == "connection", canon == "identities",
			strings.HasPrefix(key, "identities["):
			if val, err := pipeline.DecodeValue(v); err == nil {
				rec[key] = val
			}
		}
	}
	return expandPaths(rec)
}

// userKeys is what the join needs of an exported user.
type userKeys struct {
	userID   string
	ids      []string // the ids its database identity may have in the password export
	email    string
	conn     string // its database connection, when the export says
	database bool   // a database user (or nothing says otherwise)
	oidOnly  bool   // user_id is "auth0|<ObjectId>": only that id joins
}

var objectIDText = regexp.MustCompile(`^[0-9a-f]{24}$`)

// keysOf reads a user's keys from its decoded record (keys as the export names them).
func keysOf(rec map[string]any) userKeys {
	var k userKeys
	var idents []any
	top := ""
	for key, v := range rec {
		canon, _ := mappings.Canonical(key)
		switch canon {
		case "user_id":
			k.userID = text(v)
		case "email":
			k.email = strings.TrimSpace(text(v))
		case "connection":
			top = text(v)
		case "identities":
			idents, _ = v.([]any)
		}
	}
	auth0Ident, otherIdent := false, false
	for _, x := range idents {
		m, _ := x.(map[string]any)
		p := text(m["provider"])
		switch p {
		case "auth0":
			auth0Ident = true
			if id := text(m["user_id"]); id != "" {
				k.ids = append(k.ids, id)
			}
		case "":
		default:
			otherIdent = true
			continue
		}
		if k.conn == "" {
			k.conn = text(m["connection"])
		}
	}
	if k.conn == "" {
		k.conn = top
	}
	switch p, rest, cut := strings.Cut(k.userID, "|"); {
	case k.userID == "":
		k.database = auth0Ident || !otherIdent
	case cut && p == "auth0":
		k.database = true
		k.oidOnly = objectIDText.MatchString(rest)
		k.ids = append([]string{rest}, slices.DeleteFunc(k.ids, func(id string) bool { return id == rest })...)
	case cut:
		k.database = auth0Ident // a social or enterprise user, database only through a linked identity
	default:
		k.database = auth0Ident || !otherIdent // an id without its provider prefix
		k.ids = append([]string{k.userID}, k.ids...)
	}
	return k
}

// text is v as a string: a string, or a number's digits.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// lineStale marks a line whose e-mail belongs to an exported user with another id.
const lineStale uint64 = 1 << 59

// Decode decodes a framed record: a joined user gets its password_hash; a password-export line
// no user took becomes a user of its own.
func (s *joinSource) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	switch a := raw.Aux.(type) {
	case *joined:
		r := *raw
		r.Aux = a.inner
		rec, err := s.inner.Decode(&r)
		if err != nil {
			return nil, err
		}
		addPassword(rec, a)
		return rec, nil
	case *unpaired:
		r := *raw
		r.Aux = a.inner
		return s.inner.Decode(&r)
	case *passwordOnly:
		rec, err := passwordUser(raw.Data)
		if err != nil {
			return nil, err
		}
		if a.why != "" {
			rec = pipeline.Flag(rec, pipeline.Issue{Code: CodeNotInUsersExport, Message: a.why})
		}
		return rec, nil
	}
	return s.inner.Decode(raw)
}

// addPassword gives rec the joined hash, unless it has password material of its own, and the
// line's email_verified when it has none.
func addPassword(rec map[string]any, a *joined) {
	hasPW, hasEV := false, false
	for k := range rec {
		switch c, _ := mappings.Canonical(k); c {
		case "password_hash", "custom_password_hash", "password":
			hasPW = true
		case "email_verified":
			hasEV = true
		}
	}
	if !hasPW {
		rec["password_hash"] = a.hash
	}
	if !hasEV && a.emailVerified != nil {
		rec["email_verified"] = a.emailVerified
	}
}

// passwordUser turns a password-export line into a user: user_id "auth0|" + its alt_id or oid
// (the id the user had), passwordHash as password_hash, password_set_date's {"$date"} as text;
// the internal _tmp_is_unique is dropped. email, email_verified, connection and tenant stay.
func passwordUser(data []byte) (map[string]any, error) {
	rec, err := pipeline.DecodeRecord(data)
	if err != nil {
		return nil, err
	}
	if pipeline.FlaggedIssues(rec) != nil {
		return rec, nil
	}
	id := ""
	for k, v := range rec {
		switch strings.ToLower(k) {
		case "_id":
			b, _ := json.Marshal(v)
			if oid, err := objectID(b); err == nil && id == "" {
				id = oid
			}
			delete(rec, k)
		case "_tmp_is_unique":
			delete(rec, k)
		}
	}
	if alt := text(rec["alt_id"]); alt != "" {
		id = alt
		delete(rec, "alt_id")
	}
	if id != "" {
		rec["user_id"] = "auth0|" + id
	}
	if h, ok := rec["passwordHash"]; ok {
		rec["password_hash"] = h
		delete(rec, "passwordHash")
	}
	if d, ok := rec["password_set_date"].(map[string]any); ok {
		rec["password_set_date"] = mongoDate(d)
	}
	return rec, nil
}

// mongoDate reads extended JSON's {"$date": "…"} or {"$date": {"$numberLong": "ms"}}; anything
// else is kept as it is.
func mongoDate(d map[string]any) any {
	switch v := d["$date"].(type) {
	case string:
		return v
	case json.Number:
		if ms, err := v.Int64(); err == nil {
			return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
		}
	case map[string]any:
		if s, ok := v["$numberLong"].(string); ok {
			if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
				return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
			}
		}
	}
	return d
}

// TotalBytes is the users' input size.
func (s *joinSource) TotalBytes() int64 {
	if sz, ok := s.inner.(pipeline.Sizer); ok {
		return sz.TotalBytes()
	}
	return 0
}

// ReadBytes is how much of the users' input has been read.
func (s *joinSource) ReadBytes() int64 {
	if sz, ok := s.inner.(pipeline.Sizer); ok {
		return sz.ReadBytes()
	}
	return 0
}

// joinStats counts what the join did.
type joinStats struct {
	users, byID, byEmail, noHash int64            // users framed, joined by id, by e-mail, database users left without
	only, stale, invalid, other  int64            // lines no user took (stale among them), unusable, of other connections
	userConns                    map[string]bool  // the connections of the exported database users
	foreign                      map[string]int64 // lines no user took, by connection no exported user is in
}

func (st joinStats) summary(name string, reject bool, connection, list string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "auth0: password export %s: %d users given their password (%d by id, %d by e-mail); %d database users without one (%s, --passwordless decides)",
		name, st.byID+st.byEmail, st.byID, st.byEmail, st.noHash, CodeNoPasswordHash)
	verb := "imported as users of their own"
	if reject {
		verb = "rejected"
	}
	fmt.Fprintf(&b, "; %d lines in no exported user (%s: %s", st.only, CodeNotInUsersExport, verb)
	if st.stale > 0 && !reject {
		fmt.Fprintf(&b, ", except %d whose e-mail belongs to a user with another id: rejected", st.stale)
	}
	b.WriteString(")")
	if len(st.foreign) > 0 {
		names := make([]string, 0, len(st.foreign))
		var n int64
		for c, k := range st.foreign {
			names = append(names, fmt.Sprintf("%s: %d", c, k))
			n += k
		}
		slices.Sort(names)
		fmt.Fprintf(&b, "; %d of them are of connections no exported user is in (%s): connection=NAME leaves such lines out",
			n, strings.Join(names, ", "))
	}
	if st.invalid > 0 {
		fmt.Fprintf(&b, "; %d unusable lines (rejected parse_error)", st.invalid)
	}
	if st.other > 0 {
		fmt.Fprintf(&b, "; %d lines of connections other than %s left out", st.other, connection)
	}
	if list != "" {
		b.WriteString("; listed in " + list)
	}
	return b.String()
}

// joinList writes JoinFile: to a temporary file, renamed into place once the read is complete
// (so a link at JoinFile is replaced, never followed).
type joinList struct {
	f *os.File
	w *bufio.Writer
}

func newJoinList(dir string) (*joinList, error) {
	if dir == "" {
		return &joinList{}, nil
	}
	f, err := os.CreateTemp(dir, "."+JoinFile+"-*")
	if err != nil {
		return nil, err
	}
	return &joinList{f: f, w: bufio.NewWriter(f)}, nil
}

type joinLine struct {
	Code       string `json:"code"`
	Position   string `json:"position"`
	UserID     string `json:"user_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Connection string `json:"connection,omitempty"`
	Why        string `json:"why"`
}

func (l *joinList) add(code string, pos pipeline.Position, userID, email, conn, why string) {
	if l.w == nil {
		return
	}
	b, _ := json.Marshal(joinLine{Code: code, Position: pos.String(), UserID: userID, Email: email, Connection: conn, Why: why})
	l.w.Write(append(b, '\n'))
}

// commit renames the list into dir and returns its path ("" when there is none).
func (l *joinList) commit(dir string) (string, error) {
	if l.f == nil {
		return "", nil
	}
	err := l.w.Flush()
	if err == nil {
		err = l.f.Close()
	}
	path := filepath.Join(dir, JoinFile)
	if err == nil {
		err = os.Rename(l.f.Name(), path)
	}
	if err != nil {
		return "", err
	}
	l.f = nil
	return path, nil
}

// abort removes an uncommitted list.
func (l *joinList) abort() {
	if l.f != nil {
		l.f.Close()
		os.Remove(l.f.Name())
		l.f = nil
	}
}
