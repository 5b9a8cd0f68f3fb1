package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// linesSource frames each line as a record; Decode decodes it as JSON.
type linesSource []string

func (s linesSource) Read(_ context.Context, emit func(RawRecord) error) error {
	for i, l := range s {
		if err := emit(RawRecord{Pos: Position{File: "in", Line: i + 1}, Data: []byte(l)}); err != nil {
			return err
		}
	}
	return nil
}

func (linesSource) Decode(raw *RawRecord) (map[string]any, error) { return DecodeRecord(raw.Data) }

// passMapping maps {"email", "user_id", "bad"}: "bad" is a mapping issue; it counts its calls.
type passMapping struct {
	mu    sync.Mutex
	calls int
}

func (m *passMapping) Map(rec map[string]any) (*Mapped, []Issue) {
	m.mu.Lock()
	m.calls++
	m.mu.Unlock()
	if rec["bad"] != nil {
		return nil, []Issue{{Code: "mapping_error", Field: "bad", Message: "bad record"}}
	}
	user := map[string]any{"user_id": rec["user_id"], "email": rec["email"]}
	return &Mapped{User: user}, nil
}

// collect is a writer that keeps what it is given.
type collect struct{ results []Result }

func (c *collect) Write(_ context.Context, r *Result) error {
	r.mapped, r.mappedEmail = false, "" // not what the second pass compares
	c.results = append(c.results, *r)
	return nil
}

func passRunner(src Source, m Mapping, w Writer) *Runner {
	return &Runner{Source: src, Writer: w, Workers: 2, BatchSize: 3,
		Stages: Stages{Mapping: m,
			Prepare: func(map[string]any, string) PasswordVerdict { return PasswordVerdict{Format: "none", Importable: true} },
			Validate: func(u map[string]any) (errs, warns []Issue) {
				if s, _ := u["email"].(string); !strings.Contains(s, "@") {
					return []Issue{{Code: CodeInvalidEmail, Field: "email", Message: "no @"}}, nil
				}
				return nil, []Issue{{Code: "note", Message: "é ✓"}}
			}},
		Routing: Routing{Passwordless: "lazy"}}
}

// TestFirstPassReplay: the second pass gives the writer the results a single pass gives, without
// mapping any record again, and the e-mail set holds the e-mails of the records that mapped,
// including those a later stage rejects.
func TestFirstPassReplay(t *testing.T) {
	src := linesSource{
		`{"user_id":"1","email":"a@x.com"}`,
		`{"user_id":"2","email":"b@x.com"}`,
		`{"user_id":"3","email":"a@x.com"}`,
		`{"user_id":"4","email":"c-no-at"}`,
		`{"user_id":"5","email":"c-no-at"}`,
		`{"user_id":"6","email":"d@x.com","bad":1}`,
		`{"user_id":"7","email":"d@x.com"}`,
		`not json`,
		`{"user_id":"9","email":"e@x.com"}`,
	}
	for _, skip := range []int64{0, 4} {
		t.Run("skip "+strconv.FormatInt(skip, 10), func(t *testing.T) {
			want := &collect{}
			one := passRunner(src, &passMapping{}, want)
			one.Skip = skip
			if err := one.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			m := &passMapping{}
			got := &collect{}
			r := passRunner(src, m, got)
			r.Skip = skip
			var validated atomic.Int64
			validate := r.Stages.Validate
			r.Stages.Validate = func(u map[string]any) ([]Issue, []Issue) {
				validated.Add(1)
				return validate(u)
			}
			set, spill, err := FirstPass(context.Background(), r, filepath.Join(t.TempDir(), "spill"))
			if err != nil {
				t.Fatal(err)
			}
			defer spill.Remove()
			if m.calls != len(src)-1 { // every record that decodes, once
				t.Fatalf("first pass mapped %d records", m.calls)
			}
			// Seven records map; those a resumed run has done are not validated (nor hashed).
			if n := validated.Load(); n != 7-skip {
				t.Fatalf("first pass validated %d records, want %d", n, 7-skip)
			}
			r.Replay = spill
			if err := r.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if m.calls != len(src)-1 {
				t.Fatalf("the second pass mapped %d records again", m.calls-(len(src)-1))
			}
			if !reflect.DeepEqual(got.results, want.results) {
				t.Fatalf("replayed results differ:\n got %+v\nwant %+v", got.results, want.results)
			}
			for _, e := range []string{"a@x.com", "c-no-at"} {
				if !set.Repeated(e) {
					t.Errorf("%s is in two mapped records: not reported", e)
				}
			}
			for _, e := range []string{"b@x.com", "d@x.com", "e@x.com"} {
				if set.Repeated(e) {
					t.Errorf("%s is in one mapped record: reported repeated", e)
				}
			}
			if err := spill.Remove(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(spill.path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("spill left behind: %v", err)
			}
		})
	}
}

// TestReplayRefusesChangedInputs: a second pass over more or fewer records, or over a damaged
// spill, fails instead of pairing records with the wrong results.
func TestReplayRefusesChangedInputs(t *testing.T) {
	src := linesSource{`{"user_id":"1","email":"a@x.com"}`, `{"user_id":"2","email":"b@x.com"}`}
	for _, tc := range []struct {
		name   string
		second linesSource
		damage func(path string)
		want   string
	}{
		{"more records", append(src[:2:2], `{"user_id":"3"}`), nil, "inputs changed"},
		{"fewer records", src[:1], nil, "inputs changed"},
		{"cut spill", src, func(p string) {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-5], 0o600)
		}, "damaged"},
		{"huge length", src, nil, "damaged"},
		{"garbled spill", src, func(p string) {
			b, _ := os.ReadFile(p)
			b[2] = 0x7f // the lazy reason's length
			os.WriteFile(p, b, 0o600)
		}, "damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, spill, err := FirstPass(context.Background(), passRunner(src, &passMapping{}, nil), filepath.Join(t.TempDir(), "spill"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.damage != nil {
				tc.damage(spill.path)
			}
			if tc.name == "huge length" { // as if a length field read 2^40: refused before allocating
				spill.largest = 1
			}
			r := passRunner(tc.second, &passMapping{}, &collect{})
			r.Replay = spill
			if err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestSpilledRoundTrip: every field a result carries comes back from the spill.
func TestSpilledRoundTrip(t *testing.T) {
	for _, r := range []Result{
		{Outcome: Imported},
		{Outcome: Imported, HashFormat: "none", Email: "a@x.com", UserID: "1", User: []byte(`{"user_id":"1"}`)},
		{Outcome: Lazy, LazyReason: CodeUnsupportedHash, HashFormat: "md5_crypt", Username: "ann", User: []byte{},
			Warnings: []Issue{{Code: "w", Field: "f", Message: "m"}, {Code: "x"}}},
		{Outcome: Rejected, SocialOnly: true, Providers: []string{"facebook", "google"}, User: []byte(`{}`),
			Issues: []Issue{{Code: CodeSocialOnly, Message: strings.Repeat("é", 300)}}},
	} {
		var back Result
		if err := readSpilled(appendSpilled(nil, &r), &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", back, r)
		}
	}
}

// FuzzSpilled: a damaged spilled result is an error or a result that round-trips, never a panic
// or a huge allocation.
func FuzzSpilled(f *testing.F) {
	f.Add(appendSpilled(nil, &Result{Outcome: Rejected, Email: "a", Issues: []Issue{{Code: "c"}}, User: []byte("{}")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r, again Result
		if readSpilled(b, &r) != nil {
			return
		}
		if err := readSpilled(appendSpilled(nil, &r), &again); err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("%q decodes to %+v, which does not round-trip: %+v, %v", b, r, again, err)
		}
	})
}
