package firebase

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/usher-migrate/usher/pipeline"
)

// The CSV of `firebase auth:export users.csv` (firebase-tools src/accountExporter.ts,
// transUserToArray): no header row; each line is an array of slots joined with ",", followed by
// a trailing "," and the platform's end of line ("\r\n" on Windows). A row is read by position,
// missing trailing columns being empty. The layouts, from the history of that file:
//
//   - v15.19.0 and later: 52 slots, the providers of providerColumns;
//   - v8.13.0 – v15.18.x: 28 slots (customAttributes at 27 added in 8.13.0; google, facebook,
//     twitter and github only); v7.12.0 added disabled at 26; v4.1.2 – v7.11.x: 26 slots;
//   - v3.x – v4.1.1: disabled at 23, createdAt at 24, lastLoginAt at 25, phoneNumber at 26 (from
//     v3.12.0). Commit 41ce8d333 (v4.1.2, "Fix auth:import/export index error") moved them to
//     the columns below; github.com/firebase/scrypt's README shows a line of this layout.
//
// layoutOf tells the early layout from the later ones by its createdAt, which Firebase always
// sets: digits at 24 and none at 23.
const (
	colLocalID       = 0
	colEmail         = 1
	colEmailVerified = 2 // "true" / "false"
	colPasswordHash  = 3 // standard base64
	colSalt          = 4
	colDisplayName   = 5 // CSV-escaped (from v6.11.0: quoted when it holds a comma; v15.19.0: RFC 4180)
	colPhotoURL      = 6
	// csvColumns is how many columns the current layout has; the trailing comma adds an empty
	// field after them.
	csvColumns = 52
)

// csvLayout places the columns whose position changed.
type csvLayout struct {
	createdAt, lastSignedInAt, phoneNumber, disabled, customAttributes int
}

var (
	// currentLayout is the layout of firebase-tools v4.1.2 and later.
	currentLayout = csvLayout{createdAt: 23, lastSignedInAt: 24, phoneNumber: 25, disabled: 26, customAttributes: 27}
	// earlyLayout is the layout of firebase-tools v3.x – v4.1.1 (no custom claims then).
	earlyLayout = csvLayout{createdAt: 24, lastSignedInAt: 25, phoneNumber: 26, disabled: 23, customAttributes: -1}
)

// layoutOf returns the layout of a row: the early one for a row of at most 28 fields whose
// column 23 holds no number and column 24 one (a creation time).
func layoutOf(cells []string) csvLayout {
	if len(cells) <= 28 && len(cells) > 24 && !isDigits(cells[23]) && isDigits(cells[24]) {
		return earlyLayout
	}
	return currentLayout
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// providerColumns are the providers the CSV has columns for, each a group of four (rawId, email,
// displayName, photoUrl) starting at the given column (accountExporter.ts
// PROVIDER_ID_INDEX_MAP). A group with an empty rawId is no provider (firebase-tools'
// importer, accountImporter.ts, reads it the same way).
var providerColumns = []struct {
	id  string
	col int
}{
	{"google.com", 7}, {"facebook.com", 11}, {"twitter.com", 15}, {"github.com", 19},
	{"apple.com", 28}, {"microsoft.com", 32}, {"gc.apple.com", 36}, {"playgames.google.com", 40},
	{"linkedin.com", 44}, {"yahoo.com", 48},
}

// maxJoinLines bounds how many lines a row with an open quoted field at the end of its first
// line may take in. firebase-tools quotes a display name holding a line break, which then spans
// lines; an unbalanced quote (the pre-15.19 escaping never doubled quotes) must not make one row
// of the rest of the file.
const maxJoinLines = 16

// csvReader frames the rows of one CSV file in bounded memory: a row is a line, or the lines a
// quoted field spans (see next); a line longer than max bytes is skipped to its end unkept.
type csvReader struct {
	r       *bufio.Reader
	max     int
	line    int // the line number of the next line read from r
	pending []csvLine
}

// csvLine is one physical line: its bytes (its end of line included) or, when it was longer than
// max, only its size.
type csvLine struct {
	data []byte
	size int64
	line int
	over bool
}

// readLine returns the next physical line. A line longer than max is read to its end but not
// kept (over). At the end of the input it returns io.EOF.
func (c *csvReader) readLine() (csvLine, error) {
	if len(c.pending) > 0 {
		l := c.pending[0]
		c.pending = c.pending[1:]
		return l, nil
	}
	l := csvLine{line: c.line}
	var buf []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		l.size += int64(len(frag))
		if !l.over {
			if int64(len(buf)+len(frag)) > int64(c.max) {
				l.over, buf = true, nil
			} else {
				buf = append(buf, frag...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if l.size == 0 {
				return l, io.EOF
			}
		case err != nil:
			return l, err
		}
		break
	}
	c.line++
	l.data = buf
	return l, nil
}

// next frames the next row: its bytes (end of line included), its first line, and its size;
// data is nil for a row larger than max. Blank lines are skipped. It returns io.EOF when no row
// is left.
func (c *csvReader) next() (data []byte, line int, size int64, err error) {
	var first csvLine
	for {
		if first, err = c.readLine(); err != nil {
			return nil, 0, 0, err
		}
		if first.over || len(bytes.TrimSpace(first.data)) > 0 {
			break
		}
	}
	if first.over {
		return nil, first.line, first.size, nil
	}
	st := scanQuotes(fieldStart, first.data)
	if st != inQuoted {
		return first.data, first.line, first.size, nil
	}
	// A quoted field is still open at the end of the line: a display name with a line break, or
	// an unbalanced quote. Take the following lines in until the field closes at the end of one,
	// within maxJoinLines lines and max bytes, into a plausible row (plausibleJoin: a quote of a
	// later row closing an unbalanced one would join two users); otherwise the first line is the
	// row on its own, and the lines read ahead are framed again as rows.
	joined := append([]byte(nil), first.data...)
	var ahead []csvLine
	for len(ahead) < maxJoinLines {
		l, err := c.readLine()
		if err != nil {
			if err != io.EOF {
				return nil, 0, 0, err
			}
			break
		}
		ahead = append(ahead, l)
		if l.over || len(joined)+len(l.data) > c.max {
			break
		}
		joined = append(joined, l.data...)
		if st = scanQuotes(st, l.data); st != inQuoted {
			if !plausibleJoin(splitRow(joined)) {
				break
			}
			return joined, first.line, int64(len(joined)), nil
		}
	}
	c.pending = append(ahead, c.pending...)
	return first.data, first.line, first.size, nil
}

// plausibleJoin reports whether the fields of lines joined into one row can be a row of the
// exporter: no more fields than a row has, and the first field holding a line break is one the
// exporter quotes (a user's or a provider's display name); anything else is an unbalanced quote
// that a later quote happened to close.
func plausibleJoin(fields []string) bool {
	if len(fields) > csvColumns+1 {
		return false
	}
	for i, f := range fields {
		if strings.ContainsAny(f, "\r\n") {
			if i == colDisplayName {
				return true
			}
			for _, p := range providerColumns {
				if i == p.col+2 {
					return true
				}
			}
			return false
		}
	}
	return true
}

// Lexical states of a CSV row (lenient RFC 4180, see splitRow).
const (
	fieldStart = iota
	unquoted
	inQuoted
)

// scanQuotes runs the row lexer over b from state st and returns the state at its end, a line
// end outside quotes resetting it to fieldStart.
func scanQuotes(st int, b []byte) int {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch st {
		case fieldStart:
			switch c {
			case '"':
				st = inQuoted
			case ',', '\n':
			default:
				st = unquoted
			}
		case unquoted:
			if c == ',' || c == '\n' {
				st = fieldStart
			}
		case inQuoted:
			if c != '"' {
				continue
			}
			switch next := peek(b, i+1); {
			case next == '"':
				i++ // a doubled quote
			case next == ',' || next == '\n' || next == -1 || (next == '\r' && (peek(b, i+2) == '\n' || peek(b, i+2) == -1)):
				st = unquoted // the field's closing quote
			}
		}
	}
	return st
}

func peek(b []byte, i int) int {
	if i < len(b) {
		return int(b[i])
	}
	return -1
}

// splitRow splits one framed row into its fields, leniently, as the exporter's quirks need:
//
//   - a field that starts with a quote is quoted: "" inside is one quote, and the field ends at a
//     quote followed by a comma or the end of the row (RFC 4180, as firebase-tools ≥ 15.19.0
//     escapes display names);
//   - any other quote is kept as it is: a quote inside an unquoted field, and a quote inside a
//     quoted field followed by anything else (customAttributes keeps a JSON \" undoubled, and
//     versions before 15.19.0 wrapped a display name holding a comma in quotes without doubling
//     those inside);
//   - a quoted field still open at the end of the row runs to its end;
//   - the row's end of line ("\n" or "\r\n") is not part of the last field.
func splitRow(row []byte) []string {
	row = bytes.TrimSuffix(row, []byte("\n"))
	row = bytes.TrimSuffix(row, []byte("\r"))
	fields := make([]string, 0, csvColumns+1)
	var f strings.Builder
	i := 0
	for {
		f.Reset()
		if i < len(row) && row[i] == '"' {
			i++
			for i < len(row) {
				c := row[i]
				if c != '"' {
					f.WriteByte(c)
					i++
					continue
				}
				if i+1 < len(row) && row[i+1] == '"' {
					f.WriteByte('"')
					i += 2
					continue
				}
				if i+1 == len(row) || row[i+1] == ',' {
					i++
					break
				}
				f.WriteByte('"') // a lone quote inside: kept
				i++
			}
			// After the closing quote: text up to the comma stays in the field (lenient).
			for i < len(row) && row[i] != ',' {
				f.WriteByte(row[i])
				i++
			}
		} else {
			j := bytes.IndexByte(row[i:], ',')
			if j < 0 {
				j = len(row) - i
			}
			f.Write(row[i : i+j])
			i += j
		}
		fields = append(fields, f.String())
		if i >= len(row) {
			return fields
		}
		i++ // the comma
		if i == len(row) {
			return append(fields, "") // the trailing comma's empty field
		}
	}
}

// csvObject builds the user object of one CSV row, with the keys and types of the JSON export
// (accountExporter.ts transUserJson): strings, emailVerified and disabled booleans, and
// providerUserInfo [{providerId, rawId, email, displayName, photoUrl}] for each provider group
// with a rawId. An empty cell is an absent key. Issues flag the row: more non-empty fields than
// the layout has (a value with an unescaped comma: the exporter writes emails, photo URLs and ids
// raw), a boolean other than true/false (invalid_type), text that is not UTF-8
// (invalid_encoding); each names the field.
func csvObject(cells []string) (map[string]any, []pipeline.Issue) {
	var issues []pipeline.Issue
	cell := func(col int) string {
		if col >= 0 && col < len(cells) {
			return cells[col]
		}
		return ""
	}
	if len(cells) > csvColumns+1 || (len(cells) == csvColumns+1 && cells[csvColumns] != "") {
		extra := 0
		for _, c := range cells[csvColumns:] {
			if c != "" {
				extra++
			}
		}
		if extra > 0 {
			issues = append(issues, pipeline.Issue{Code: pipeline.CodeParseError, Message: fmt.Sprintf(
				"the row has %d fields, %d of them non-empty past the %d columns firebase auth:export writes "+
					"(a value holding an unescaped comma, such as a photo URL?)", len(cells), extra, csvColumns)})
		}
	}
	rec := make(map[string]any, 12)
	text := func(key, v string) {
		if v == "" {
			return
		}
		if !utf8.ValidString(v) {
			issues = append(issues, pipeline.Issue{Code: pipeline.CodeInvalidEncoding, Field: key,
				Message: "the value is not valid UTF-8 (is the file in another encoding? convert it to UTF-8)"})
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		rec[key] = v
	}
	boolean := func(key, v string) {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "":
		case "true":
			rec[key] = true
		case "false":
			rec[key] = false
		default:
			issues = append(issues, pipeline.Issue{Code: pipeline.CodeInvalidType, Field: key,
				Message: fmt.Sprintf("want true or false, got %q", strings.ToValidUTF8(cut(v, 40), "\uFFFD"))})
		}
	}
	text("localId", cell(colLocalID))
	text("email", cell(colEmail))
	boolean("emailVerified", cell(colEmailVerified))
	text("passwordHash", cell(colPasswordHash))
	text("salt", cell(colSalt))
	text("displayName", cell(colDisplayName))
	text("photoUrl", cell(colPhotoURL))
	lay := layoutOf(cells)
	text("lastSignedInAt", cell(lay.lastSignedInAt))
	text("createdAt", cell(lay.createdAt))
	text("phoneNumber", cell(lay.phoneNumber))
	boolean("disabled", cell(lay.disabled))
	if lay.customAttributes >= 0 {
		text("customAttributes", cell(lay.customAttributes))
	}
	var providers []any
	for _, p := range providerColumns {
		if cell(p.col) == "" {
			continue
		}
		info := map[string]any{"providerId": p.id}
		prefix := fmt.Sprintf("providerUserInfo[%d].", len(providers))
		for i, k := range []string{"rawId", "email", "displayName", "photoUrl"} {
			v := cell(p.col + i)
			if v == "" {
				continue
			}
			if !utf8.ValidString(v) {
				issues = append(issues, pipeline.Issue{Code: pipeline.CodeInvalidEncoding, Field: prefix + k,
					Message: "the value is not valid UTF-8 (is the file in another encoding? convert it to UTF-8)"})
				v = strings.ToValidUTF8(v, "\uFFFD")
			}
			info[k] = v
		}
		providers = append(providers, info)
	}
	if providers != nil {
		rec["providerUserInfo"] = providers
	}
	return rec, issues
}

// cut shortens s to at most n bytes (on a rune boundary) for a message.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
