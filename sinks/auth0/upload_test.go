package auth0

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// makeRun writes a finished migration of n users (small import files, several per run) into a
// new folder and returns it with the migration's report.
func makeRun(t *testing.T, n int) (string, *runreport.Report) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	sink, _, err := importfiles.Open(ctx, importfiles.Config{Dir: dir, Source: "json", Inputs: []string{"users.ndjson"},
		MaxFileBytes: 1200, Fingerprint: "fp"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("u%d@example.com", i)
		user, _ := json.Marshal(map[string]any{"email": email, "user_id": fmt.Sprint(i), "name": "User", "nickname": strings.Repeat("n", 100)})
		r := &pipeline.Result{Seq: int64(i), Pos: pipeline.Position{File: "users.ndjson", Line: i}, Outcome: pipeline.Imported,
			HashFormat: "none", Email: email, UserID: fmt.Sprint(i), User: user}
		if err := sink.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := sink.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) < 3 {
		t.Fatalf("want several import files, got %d", len(rep.Files))
	}
	return dir, rep
}

// fakeAPI is an in-memory Management API: every job completes on its second look; users whose
// email is in refuse fail with CONFLICT_EMAIL.
type fakeAPI struct {
	mu        sync.Mutex
	jobs      map[string]*fakeJob
	seq       int
	tooMany   int // answer ErrTooManyJobs this many times first
	refuse    map[string]bool
	failFiles map[string]bool // files (by name) whose job fails as a whole
	active    int
	maxActive int
	tenant    map[string]int // email → times inserted or updated
	created   map[string]time.Time
	upserts   int
}

type fakeJob struct {
	users  []map[string]any
	looks  int
	file   string
	upsert bool
	done   bool
}

func newFake() *fakeAPI {
	return &fakeAPI{jobs: map[string]*fakeJob{}, refuse: map[string]bool{}, failFiles: map[string]bool{}, tenant: map[string]int{},
		created: map[string]time.Time{}}
}

func (f *fakeAPI) ImportUsers(_ context.Context, r auth0api.ImportRequest) (auth0api.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tooMany > 0 {
		f.tooMany--
		return auth0api.Job{}, auth0api.ErrTooManyJobs
	}
	var users []map[string]any
	if err := json.Unmarshal(r.Users, &users); err != nil {
		return auth0api.Job{}, err
	}
	f.seq++
	id := fmt.Sprintf("job_%d", f.seq)
	f.jobs[id] = &fakeJob{users: users, file: r.Filename, upsert: r.Upsert}
	f.active++
	f.maxActive = max(f.maxActive, f.active)
	if r.Upsert {
		f.upserts++
	}
	return auth0api.Job{ID: id, Status: "pending"}, nil
}

func (f *fakeAPI) Job(_ context.Context, id string) (auth0api.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.jobs[id]
	j.looks++
	if j.looks < 2 {
		return auth0api.Job{ID: id, Status: "processing", TimeLeftSeconds: 1}, nil
	}
	if f.failFiles[j.file] {
		if !j.done {
			j.done, f.active = true, f.active-1
		}
		return auth0api.Job{ID: id, Status: "failed", StatusDetails: "Failed to parse users file"}, nil
	}
	s := &auth0api.Summary{Total: len(j.users)}
	for _, u := range j.users {
		email := u["email"].(string)
		switch {
		case f.refuse[email] || f.tenant[email] > 0 && !j.upsert && !j.done:
			s.Failed++
			if !j.done {
				f.refuse[email] = true // reported by JobErrors
			}
		case f.tenant[email] > 0 && j.upsert:
			s.Updated++
		default:
			s.Inserted++
			if !j.done {
				f.tenant[email]++
				f.created[email] = time.Now()
			}
		}
	}
	if !j.done {
		j.done, f.active = true, f.active-1
	}
	return auth0api.Job{ID: id, Status: "completed", Summary: s}, nil
}

func (f *fakeAPI) JobErrors(_ context.Context, id string) ([]auth0api.UserError, *auth0api.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.jobs[id]
	if f.failFiles[j.file] {
		return nil, &auth0api.Job{ID: id, Status: "failed", StatusDetails: "Failed to parse users file"}, nil
	}
	var out []auth0api.UserError
	for _, u := range j.users {
		if f.refuse[u["email"].(string)] {
			out = append(out, auth0api.UserError{User: u, Errors: []auth0api.UserErrorDetail{{Code: "CONFLICT_EMAIL", Message: "The user already exists.", Path: "email"}}})
		}
	}
	return out, nil, nil
}

func (f *fakeAPI) UsersByEmail(_ context.Context, email string) ([]map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tenant[email] == 0 {
		return nil, nil
	}
	var id string
	fmt.Sscanf(email, "u%s", &id)
	return []map[string]any{{"email": email, "user_id": "auth0|" + strings.TrimSuffix(id, "@example.com"),
		"created_at": f.created[email].UTC().Format(time.RFC3339Nano)}}, nil
}

func config(dir string, api API) Config {
	return Config{Dir: dir, API: api, ConnectionID: "con_0123456789abcdef", Target: "fake con_0123456789abcdef",
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestUpload(t *testing.T) {
	cases := []struct {
		name         string
		tooMany      int
		refuse       []string
		failFile     string
		wantRejected int64
		wantReasons  map[string]int64
	}{
		{name: "every file imported"},
		{name: "per-user errors come back with their positions", refuse: []string{"u3@example.com", "u17@example.com"},
			wantRejected: 2, wantReasons: map[string]int64{"auth0:CONFLICT_EMAIL": 2}},
		{name: "slots held by other jobs: wait, then send", tooMany: 3},
		{name: "a failed job rejects its file's users", failFile: "users-000002.json", wantReasons: map[string]int64{CodeJobFailed: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, base := makeRun(t, 40)
			api := newFake()
			api.tooMany = tc.tooMany
			for _, e := range tc.refuse {
				api.refuse[e] = true
			}
			if tc.failFile != "" {
				api.failFiles[tc.failFile] = true
				tc.wantRejected = int64(base.Files[1].Users)
				tc.wantReasons[CodeJobFailed] = tc.wantRejected
			}
			rep, err := Upload(context.Background(), config(dir, api), base)
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Counts
			if c.Read != 40 || c.Rejected != tc.wantRejected || c.Imported != 40-tc.wantRejected || c.Read != c.Imported+c.Lazy+c.Rejected {
				t.Fatalf("counts %+v", c)
			}
			for code, n := range tc.wantReasons {
				if rep.Reasons[code] != n {
					t.Errorf("reasons %v, want %s=%d", rep.Reasons, code, n)
				}
			}
			if len(rep.Jobs) != len(base.Files) || api.maxActive > 2 {
				t.Errorf("%d jobs for %d files, %d at once", len(rep.Jobs), len(base.Files), api.maxActive)
			}
			rejects := readLines(t, filepath.Join(dir, importfiles.RejectsFile))
			if int64(len(rejects)) != tc.wantRejected {
				t.Fatalf("%d reject lines", len(rejects))
			}
			for _, r := range rejects {
				pos, _ := r["position"].(string)
				email, _ := r["email"].(string)
				n := strings.TrimSuffix(strings.TrimPrefix(email, "u"), "@example.com")
				if pos != "users.ndjson:"+n {
					t.Errorf("reject %v: position %q, want users.ndjson:%s", r, pos, n)
				}
			}
			led, err := ledger.Open(filepath.Join(dir, ledger.FileName))
			if err != nil {
				t.Fatal(err)
			}
			defer led.Close()
			for _, e := range tc.refuse {
				var seq int64
				fmt.Sscanf(e, "u%d@", &seq)
				if u, _ := led.UserBySeq(seq); u.Status != "rejected" || u.Reasons != "auth0:CONFLICT_EMAIL" {
					t.Errorf("ledger user %d: %+v", seq, u)
				}
			}
			// Uploading again sends nothing and writes the same outcome.
			before, _ := os.ReadFile(filepath.Join(dir, importfiles.RejectsFile))
			sent := api.seq
			if _, err := Upload(context.Background(), config(dir, api), base); err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadFile(filepath.Join(dir, importfiles.RejectsFile))
			if api.seq != sent || !bytes.Equal(before, after) {
				t.Errorf("a second upload sent %d jobs / changed rejects.ndjson", api.seq-sent)
			}
		})
	}
}

// TestResumeFromJournal puts the journal in each state an interrupted upload can leave and checks
// that the upload finishes without sending a finished file again, polls a submitted job instead
// of creating another, and resends an unanswered upload, counting the users its first send
// created as imported.
func TestResumeFromJournal(t *testing.T) {
	cases := []struct {
		name        string
		state       string
		wantSent    int // jobs created for file 1
		wantUpserts int
	}{
		{name: "done is left alone", state: "done", wantSent: 0},
		{name: "submitted is polled, not resent", state: "submitted", wantSent: 0},
		{name: "sending is resent; the users its first send created are recovered", state: "sending", wantSent: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, base := makeRun(t, 30)
			api := newFake()
			led, err := ledger.Open(filepath.Join(dir, ledger.FileName))
			if err != nil {
				t.Fatal(err)
			}
			files, _ := led.Files()
			f := files[0]
			j := ledger.Job{FileNo: f.No, Path: f.Path, SHA256: f.SHA256, State: tc.state, UpdatedAt: "x"}
			data, _ := os.ReadFile(filepath.Join(dir, f.Path))
			switch tc.state {
			case "submitted", "sending": // Auth0 has the job (the crash came after it answered)
				job, _ := api.ImportUsers(context.Background(), auth0api.ImportRequest{Users: data, Filename: filepath.Base(f.Path)})
				if tc.state == "submitted" {
					j.JobID = job.ID
				} else { // the unrecorded job ran to its end before the resume
					api.Job(context.Background(), job.ID)
					api.Job(context.Background(), job.ID)
				}
			case "done":
				j.JobID, j.Status, j.Summary = "job_old", "completed", []byte(`{"failed":0,"updated":0,"inserted":1,"total":1}`)
			}
			led.SetMeta("upload_target", "fake con_0123456789abcdef")
			if err := led.PutJob(j); err != nil {
				t.Fatal(err)
			}
			led.Close()
			created := api.seq
			rep, err := Upload(context.Background(), config(dir, api), base)
			if err != nil {
				t.Fatal(err)
			}
			if got := api.seq - created - (len(files) - 1); got != tc.wantSent {
				t.Errorf("file 1 sent %d more times, want %d", got, tc.wantSent)
			}
			if api.upserts != tc.wantUpserts {
				t.Errorf("%d upserts, want %d", api.upserts, tc.wantUpserts)
			}
			for email, n := range api.tenant {
				if n != 1 {
					t.Errorf("%s imported %d times", email, n)
				}
			}
			if tc.state == "sending" {
				if jr := rep.Jobs[0].(JobReport); !jr.Resent || jr.Recovered != f.Users {
					t.Errorf("job report %+v, want resent with %d recovered", jr, f.Users)
				}
			}
			if rep.Counts.Imported != 30 || rep.Counts.Rejected != 0 {
				t.Errorf("counts %+v", rep.Counts)
			}
		})
	}
}

func TestTargetChangeRefused(t *testing.T) {
	dir, base := makeRun(t, 20)
	if _, err := Upload(context.Background(), config(dir, newFake()), base); err != nil {
		t.Fatal(err)
	}
	cfg := config(dir, newFake())
	cfg.Target = "other con_0123456789abcdef"
	if _, err := Upload(context.Background(), cfg, base); err == nil || !strings.Contains(err.Error(), "cannot continue to other") {
		t.Fatalf("error %v", err)
	}
}

func TestTamperedFileNotSent(t *testing.T) {
	dir, base := makeRun(t, 20)
	p := filepath.Join(dir, base.Files[0].Path)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte("User"), []byte("Evil"), 1), 0o600)
	if _, err := Upload(context.Background(), config(dir, newFake()), base); err == nil || !strings.Contains(err.Error(), "changed after the run wrote it") {
		t.Fatalf("error %v", err)
	}
}
