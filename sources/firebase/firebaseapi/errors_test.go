package firebaseapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPIErrorSamples reads the error answers of accounts:signInWithPassword as Firebase sends
// them (sources/firebase/testdata/api, shapes of firebase-tools' Auth emulator errors.ts and, for
// TOO_MANY_ATTEMPTS_TRY_LATER, the detail live answers carry after " : "): the code is the
// message before " : ".
func TestAPIErrorSamples(t *testing.T) {
	files, err := filepath.Glob("../testdata/api/signInWithPassword-error-*.json")
	if err != nil || len(files) != 5 {
		t.Fatalf("%d samples, %v", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "signInWithPassword-error-"), ".json")
		e := newAPIError("POST /v1/accounts:signInWithPassword", 400, b)
		if e.Code != want || e.Status != 400 {
			t.Errorf("%s: code %q, want %q", f, e.Code, want)
		}
		if e.Retryable() {
			t.Errorf("%s: a 400 retryable", f)
		}
	}
	e := newAPIError("GET /v1/projects/p/accounts:batchGet", 429, []byte(`{"error":{"code":429,"message":"Quota exceeded for quota metric 'Queries'","status":"RESOURCE_EXHAUSTED"}}`))
	if !e.Retryable() || e.GoogleStatus != "RESOURCE_EXHAUSTED" || !strings.Contains(e.Error(), "HTTP 429 RESOURCE_EXHAUSTED") {
		t.Errorf("%v", e)
	}
	if e := newAPIError("GET /x", 502, []byte("<html>bad gateway</html>")); !e.Retryable() || !strings.Contains(e.Error(), "bad gateway") {
		t.Errorf("%v", e)
	}
}

// TestSignInAnswerSample reads a successful signInWithPassword answer (the 200 sample: kind,
// localId, idToken, expiresIn as a string): SignIn returns its localId.
func TestSignInAnswerSample(t *testing.T) {
	b, err := os.ReadFile("../testdata/api/signInWithPassword-response-200.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/accounts:signInWithPassword" || r.URL.Query().Get("key") != "k" {
			w.WriteHeader(404)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := c.SignIn(context.Background(), "jane.doe@example.com", "Jane-Pa55word!"); err != nil || id != "Ab3kQm9ZpL0sXc2VtR7uYw1NeH42" {
		t.Fatalf("%q %v", id, err)
	}
}
