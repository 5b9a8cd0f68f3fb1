package auth0

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"

	json "github.com/goccy/go-json"
)

// The password-hash export Auth0 support delivers (after PGP decryption) is NDJSON in MongoDB
// extended JSON, one database user per line. The shape, as published by peers who read it
// (zitadel/zitadel-tools cmd/migration/auth0/example-data/passwords.json spells the key "_ID";
// FusionAuth/fusionauth-import-scripts auth0/import.rb reads "_id" → "$oid", "passwordHash",
// "tenant" and, for users imported into Auth0 with their own id, "alt_id"):
//
//	{"_id":{"$oid":"60425dc43519d90068f82973"},"email_verified":false,"email":"john@example.com",
//	 "passwordHash":"$2b$10$…","password_set_date":{"$date":"2021-03-05T16:35:16.775Z"},
//	 "tenant":"dev-…","connection":"Username-Password-Authentication","_tmp_is_unique":true}
//
// The oid is the id of the user's database identity: the users export names that user
// "auth0|<oid>" (or "auth0|<alt_id>").

// MaxPasswordLineBytes is the longest line of a password export read; a longer line is one
// rejected record (a real line is about 300 bytes).
const MaxPasswordLineBytes = 64 << 10

// MaxPasswordLines bounds the lines of a password export. The index holds no line, only keys: 8
// bytes for the line's offset, 16 for its id and 16 for its e-mail (16 more for an alt_id), 44
// bytes per line measured with the slices' spare capacity (TestIndexMemory with
// USHER_INDEX_LINES=1000000: 44 MB for a million users, built in 1.9 s); about 740 MB at this
// limit.
const MaxPasswordLines = 16 << 20

// Line states, in the top bits of pwIndex.lines.
const (
	lineMatched uint64 = 1 << 63 // joined to an exported user
	lineInvalid uint64 = 1 << 62 // not a usable line (reason: pwIndex.bad)
	lineOther   uint64 = 1 << 61 // of another connection than the one asked for
	lineBlank   uint64 = 1 << 60
	offsetMask  uint64 = 1<<48 - 1
)

// pwIndex indexes a password export by id and by e-mail without holding its lines: each key is a
// 64-bit hash pointing at a line, whose text is read again (from the file, at its offset) to
// confirm a match, so hash collisions cost a read, never a wrong join.
type pwIndex struct {
	name  string   // the file as given (positions)
	f     *os.File // the NDJSON text: the file itself, or a decompressed temporary copy
	tmp   string   // that copy, removed by close
	lines []uint64 // per line (line i+1): its offset and state; then the end offset
	ids   []keyEnt // by oid and alt_id, sorted
	mails []keyEnt // by lower-cased e-mail, sorted
	seed  maphash.Seed
	bad   map[int]string // why a line is invalid, by index
	buf   []byte
}

// keyEnt is one key of the index: its hash and the line it names.
type keyEnt struct {
	h    uint64
	line uint32
}

// pwLine is what the index reads of a line.
type pwLine struct {
	ID            json.RawMessage `json:"_id"` // {"$oid": …} (also "_ID": keys match case-insensitively)
	AltID         json.RawMessage `json:"alt_id"`
	Email         any             `json:"email"`
	EmailVerified any             `json:"email_verified"`
	Hash          any             `json:"passwordHash"`
	Connection    any             `json:"connection"`
}

// entry is a parsed, usable line.
type entry struct {
	oid, altID, email, hash, connection string
	emailVerified                       any // nil when the line has none
}

// parseLine reads a line of the password export; the error says why it is unusable.
func parseLine(b []byte) (entry, error) {
	var l pwLine
	if err := json.Unmarshal(b, &l); err != nil {
		return entry{}, fmt.Errorf("not a JSON object: %v", err)
	}
	var e entry
	var err error
	if e.oid, err = objectID(l.ID); err != nil {
		return entry{}, err
	}
	if e.altID, err = objectID(l.AltID); err != nil {
		return entry{}, fmt.Errorf("alt_id: %w", err)
	}
	e.email, _ = l.Email.(string)
	e.email = strings.TrimSpace(e.email)
	e.hash, _ = l.Hash.(string)
	e.connection, _ = l.Connection.(string)
	switch l.EmailVerified.(type) {
	case bool:
		e.emailVerified = l.EmailVerified
	}
	switch {
	case e.hash == "":
		return entry{}, errors.New("the line has no passwordHash")
	case e.oid == "" && e.email == "":
		return entry{}, errors.New("the line has neither _id nor email")
	}
	return e, nil
}

// objectID reads a Mongo ObjectId as extended JSON writes it ({"$oid":"…"}), or a plain string.
func objectID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '{' {
		var oid struct {
			OID *string `json:"$oid"`
		}
		if err := json.Unmarshal(raw, &oid); err == nil && oid.OID != nil {
			return *oid.OID, nil
		}
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if s, ok := x["$oid"].(string); ok {
			return s, nil
		}
	}
	return "", fmt.Errorf("_id is a %s, not {\"$oid\": …}", jsonType(v))
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "number"
}

// openIndex reads the password export at path and indexes it. tmpDir receives a decompressed
// copy of a gzip file ("" for the system's). With connection set, lines of other connections are
// marked lineOther: never joined, never emitted.
func openIndex(path, tmpDir, connection string) (x *pwIndex, err error) {
	if path == "-" {
		return nil, errors.New("passwords: standard input holds the users; give the password export as a file")
	}
	fh, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("passwords: %w", err)
	}
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		fh.Close()
		if err == nil {
			err = fmt.Errorf("passwords %s: not a regular file", path)
		}
		return nil, err
	}
	idx := &pwIndex{name: path, f: fh, seed: maphash.MakeSeed(), bad: map[int]string{}}
	defer func() {
		if err != nil {
			idx.close()
		}
	}()
	x = idx
	var magic [2]byte
	if n, _ := io.ReadFull(fh, magic[:]); n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if err := x.decompress(tmpDir); err != nil {
			return nil, err
		}
	}
	if err := x.build(connection); err != nil {
		return nil, err
	}
	return x, nil
}

// decompress replaces x.f with a decompressed temporary copy (mode 0600: it holds hashes).
func (x *pwIndex) decompress(tmpDir string) error {
	if _, err := x.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(x.f, 256<<10))
	if err != nil {
		return fmt.Errorf("passwords %s: gzip: %w", x.name, err)
	}
	tmp, err := os.CreateTemp(tmpDir, ".usher-auth0-passwords-*.ndjson")
	if err != nil {
		return fmt.Errorf("passwords: %w", err)
	}
	x.tmp = tmp.Name()
	_, err = io.Copy(tmp, zr)
	if err == nil {
		err = zr.Close()
	}
	x.f.Close()
	x.f = tmp
	if err != nil {
		return fmt.Errorf("passwords %s: %w", x.name, err)
	}
	return nil
}

// build reads every line once, in order, and sorts the keys.
func (x *pwIndex) build(connection string) error {
	if _, err := x.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(x.f, 256<<10)
	var off uint64
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
		off = 3
	}
	var line []byte
	for n := 0; ; n++ {
		start := off
		line = line[:0]
		over := false
		var err error
		for {
			var part []byte
			part, err = br.ReadSlice('\n')
			off += uint64(len(part))
			if !over && len(line)+len(part) <= MaxPasswordLineBytes+2 {
				line = append(line, part...)
			} else {
				over, line = true, line[:0]
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("passwords %s: %w", x.name, err)
		}
		if off == start {
			break // the end
		}
		if len(x.lines) >= MaxPasswordLines {
			return fmt.Errorf("passwords %s: more than %d lines (the index would take more than %d MB of memory)",
				x.name, MaxPasswordLines, MaxPasswordLines*44>>20)
		}
		if off&^offsetMask != 0 {
			return fmt.Errorf("passwords %s: larger than 256 TiB", x.name)
		}
		state := start
		text := bytes.TrimSpace(line)
		switch {
		case over:
			state |= lineInvalid
			x.bad[n] = fmt.Sprintf("the line is %d bytes, more than the %d a password export line may have", off-start, MaxPasswordLineBytes)
		case len(text) == 0:
			state |= lineBlank
		case n == 0 && text[0] == '[':
			return fmt.Errorf("passwords %s: a JSON array; the password export is NDJSON (one object per line)", x.name)
		default:
			e, perr := parseLine(text)
			switch {
			case perr != nil:
				state |= lineInvalid
				x.bad[n] = "password export line: " + perr.Error()
			case connection != "" && e.connection != "" && e.connection != connection:
				state |= lineOther
			default:
				if e.oid != "" {
					x.ids = append(x.ids, keyEnt{x.key(e.oid), uint32(n)})
				}
				if e.altID != "" && e.altID != e.oid {
					x.ids = append(x.ids, keyEnt{x.key(e.altID), uint32(n)})
				}
				if e.email != "" {
					x.mails = append(x.mails, keyEnt{x.key(strings.ToLower(e.email)), uint32(n)})
				}
			}
		}
		x.lines = append(x.lines, state)
		if err == io.EOF {
			break
		}
	}
	x.lines = append(x.lines, off)
	byKey := func(a, b keyEnt) int {
		if a.h != b.h {
			if a.h < b.h {
				return -1
			}
			return 1
		}
		return int(a.line) - int(b.line)
	}
	slices.SortFunc(x.ids, byKey)
	slices.SortFunc(x.mails, byKey)
	x.ids, x.mails = slices.Clip(x.ids), slices.Clip(x.mails)
	return nil
}

func (x *pwIndex) key(s string) uint64 { return maphash.String(x.seed, s) }

// text returns line i's bytes (valid until the next call).
func (x *pwIndex) text(i int) ([]byte, error) {
	start, end := x.lines[i]&offsetMask, x.lines[i+1]&offsetMask
	if end-start > MaxPasswordLineBytes+2 {
		return nil, errors.New("line too long")
	}
	if cap(x.buf) < int(end-start) {
		x.buf = make([]byte, end-start)
	}
	b := x.buf[:end-start]
	if _, err := x.f.ReadAt(b, int64(start)); err != nil {
		return nil, fmt.Errorf("passwords %s: %w", x.name, err)
	}
	return bytes.TrimSpace(b), nil
}

// entry reads and parses line i (an indexed line: it parsed when the index was built).
func (x *pwIndex) entry(i int) (entry, error) {
	b, err := x.text(i)
	if err != nil {
		return entry{}, err
	}
	return parseLine(b)
}

// candidates returns the lines whose key hashes like s, in file order.
func (x *pwIndex) candidates(keys []keyEnt, s string) []keyEnt {
	h := x.key(s)
	i, _ := slices.BinarySearchFunc(keys, h, func(e keyEnt, h uint64) int {
		switch {
		case e.h < h:
			return -1
		case e.h > h:
			return 1
		}
		return 0
	})
	j := i
	for j < len(keys) && keys[j].h == h {
		j++
	}
	return keys[i:j]
}

// byID finds the line whose oid or alt_id is id: the first in file order. A line already joined
// to another user is joined again (two users with one id are the deduplication's to report).
func (x *pwIndex) byID(id string) (int, entry, bool, error) {
	for _, c := range x.candidates(x.ids, id) {
		e, err := x.entry(int(c.line))
		if err != nil {
			return 0, entry{}, false, err
		}
		if e.oid == id || e.altID == id {
			return int(c.line), e, true, nil
		}
	}
	return 0, entry{}, false, nil
}

// byEmail finds the one line with this e-mail (compared lower-cased) in connection (any, when
// either side does not say). found is false when there is none, or more than one (ambiguous
// true), or when the one line is already joined to another user.
func (x *pwIndex) byEmail(email, connection string) (line int, e entry, found, ambiguous bool, err error) {
	email = strings.ToLower(email)
	n := 0
	for _, c := range x.candidates(x.mails, email) {
		ce, err := x.entry(int(c.line))
		if err != nil {
			return 0, entry{}, false, false, err
		}
		if strings.ToLower(ce.email) != email || (connection != "" && ce.connection != "" && ce.connection != connection) {
			continue
		}
		n++
		line, e = int(c.line), ce
	}
	switch {
	case n > 1:
		return 0, entry{}, false, true, nil
	case n == 0 || x.lines[line]&lineMatched != 0:
		return 0, entry{}, false, false, nil
	}
	return line, e, true, false, nil
}

// mark records that line i is joined to a user.
func (x *pwIndex) mark(i int) { x.lines[i] |= lineMatched }

// close releases the file and removes a temporary copy.
func (x *pwIndex) close() {
	if x.f != nil {
		x.f.Close()
	}
	if x.tmp != "" {
		os.Remove(x.tmp)
	}
}
