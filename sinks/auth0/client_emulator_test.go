package auth0

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
)

// TestClientAgainstEmulator drives the real Management API client against the emulator: the two
// were written apart from the same documentation, so each checks the other.
func TestClientAgainstEmulator(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := auth0test.NewServer(auth0test.Options{ClientID: "cid", ClientSecret: "sec", MaxConcurrentJobs: 1, Now: clock,
		ProcessingTime: 20 * time.Millisecond, Users: []json.RawMessage{json.RawMessage(`{"email":"taken@example.com","user_id":"x"}`)}})
	defer srv.Close()
	ctx := context.Background()
	c, err := auth0api.New(auth0api.Config{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "sec"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.ConnectionByName(ctx, auth0test.DefaultConnectionName)
	if err != nil || conn.ID != auth0test.DefaultConnectionID {
		t.Fatalf("connection %+v %v", conn, err)
	}
	if _, err := c.ConnectionByName(ctx, "nope"); err == nil {
		t.Fatal("an unknown connection was found")
	}
	users := []byte(`[{"email":"a@example.com","user_id":"1"},{"email":"taken@example.com","user_id":"2"},{"email":"a@example.com","user_id":"3"}]`)
	job, err := c.ImportUsers(ctx, auth0api.ImportRequest{ConnectionID: conn.ID, Users: users, Filename: "users.json"})
	if err != nil || job.ID == "" {
		t.Fatalf("import %+v %v", job, err)
	}
	// One job at a time in this tenant: a second is refused with ErrTooManyJobs, not retried.
	if _, err := c.ImportUsers(ctx, auth0api.ImportRequest{ConnectionID: conn.ID, Users: users, Filename: "again.json"}); !errors.Is(err, auth0api.ErrTooManyJobs) {
		t.Fatalf("second job: %v", err)
	}
	mu.Lock()
	now = now.Add(time.Second) // the job's processing time passes
	mu.Unlock()
	if job, err = c.Job(ctx, job.ID); err != nil || !job.Terminal() {
		t.Fatalf("job %+v %v", job, err)
	}
	if job.Status != "completed" || job.Summary == nil || *job.Summary != (auth0api.Summary{Inserted: 1, Failed: 2, Total: 3}) {
		t.Fatalf("job %+v summary %+v", job, job.Summary)
	}
	errs, obj, err := c.JobErrors(ctx, job.ID)
	if err != nil || obj != nil || len(errs) != 2 {
		t.Fatalf("errors %+v %+v %v", errs, obj, err)
	}
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Errors[0].Code] = true
	}
	if !got["CONFLICT_EMAIL"] || !got["DUPLICATED_USER"] {
		t.Errorf("error codes %v", got)
	}
	found, err := c.UsersByEmail(ctx, "A@example.com")
	if err != nil || len(found) != 1 || found[0]["user_id"] != "auth0|1" {
		t.Fatalf("users by email %v %v", found, err)
	}
}
