package auth0test_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
)

const (
	clientID     = "m2m-client"
	clientSecret = "s3cr3t/+="
	connID       = auth0test.DefaultConnectionID
	connName     = auth0test.DefaultConnectionName
)

// clock is a fake clock: it moves only when Advance is called.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a server on a fake clock with a token.
type env struct {
	t     *testing.T
	srv   *auth0test.Server
	clk   *clock
	token string
	c     *http.Client
}

// newEnv starts a server with o (credentials and clock filled in) and fetches a token.
func newEnv(t *testing.T, o auth0test.Options) *env {
	t.Helper()
	clk := newClock()
	o.ClientID, o.ClientSecret = clientID, clientSecret
	if o.Now == nil {
		o.Now = clk.Now
	}
	srv := auth0test.NewServer(o)
	e := &env{t: t, srv: srv, clk: clk, c: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
	t.Cleanup(srv.Close)
	a := e.tokenRequest(url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret},
		"audience": {srv.URL + "/api/v2/"},
	})
	if a.status != 200 {
		t.Fatalf("token: %d %s", a.status, a.body)
	}
	e.token = a.json(t)["access_token"].(string)
	return e
}

// answer is an HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(a.body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("answer %d %q is not a JSON object: %v", a.status, a.body, err)
	}
	return m
}

func (a answer) message(t *testing.T) string {
	t.Helper()
	m, _ := a.json(t)["message"].(string)
	return m
}

func (e *env) do(req *http.Request) answer {
	resp, err := e.c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: body, err: err}
}

func (e *env) tokenRequest(form url.Values) answer {
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

// api sends an /api/v2 request with the env's token (or tok when given).
func (e *env) api(method, path string, body io.Reader, contentType string, tok ...string) answer {
	req, err := http.NewRequest(method, e.srv.URL+"/api/v2"+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	t := e.token
	if len(tok) > 0 {
		t = tok[0]
	}
	if t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	return e.do(req)
}

func (e *env) get(path string) answer { return e.api(http.MethodGet, path, nil, "") }

// part is one multipart part; file parts carry a file name.
type part struct {
	name, value string
	file        bool
}

func multipartBody(parts ...part) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.file {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="users.json"`)
			h.Set("Content-Type", "application/json")
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"`)
		}
		w, _ := mw.CreatePart(h)
		io.WriteString(w, p.value)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// importFile uploads users with the given extra fields (connection_id defaults to connID).
func (e *env) importFile(users string, fields ...string) answer {
	parts := []part{{name: "users", value: users, file: true}}
	hasConn := false
	for i := 0; i+1 < len(fields); i += 2 {
		parts = append(parts, part{name: fields[i], value: fields[i+1]})
		hasConn = hasConn || fields[i] == "connection_id"
	}
	if !hasConn {
		parts = append(parts, part{name: "connection_id", value: connID})
	}
	body, ct := multipartBody(parts...)
	return e.api(http.MethodPost, "/jobs/users-imports", body, ct)
}

// mustImport uploads users and returns the new job's id.
func (e *env) mustImport(users string, fields ...string) string {
	e.t.Helper()
	a := e.importFile(users, fields...)
	if a.status != http.StatusAccepted {
		e.t.Fatalf("import: %d %s (%v)", a.status, a.body, a.err)
	}
	return a.json(e.t)["id"].(string)
}

// job fetches a job.
func (e *env) job(id string) map[string]any {
	e.t.Helper()
	a := e.get("/jobs/" + id)
	if a.status != 200 {
		e.t.Fatalf("GET job: %d %s", a.status, a.body)
	}
	return a.json(e.t)
}

// finish advances the clock by d and returns the job, which must then be terminal.
func (e *env) finish(id string, d time.Duration) map[string]any {
	e.t.Helper()
	e.clk.Advance(d)
	j := e.job(id)
	if s := j["status"]; s != "completed" && s != "failed" {
		e.t.Fatalf("job %s still %v", id, s)
	}
	return j
}

func summary(t *testing.T, j map[string]any) [4]int {
	t.Helper()
	s, ok := j["summary"].(map[string]any)
	if !ok {
		t.Fatalf("job has no summary: %v", j)
	}
	var out [4]int
	for i, k := range []string{"failed", "updated", "inserted", "total"} {
		n, _ := s[k].(json.Number).Int64()
		out[i] = int(n)
	}
	return out
}

// userErrors fetches a job's per-user errors (the array shape).
func (e *env) userErrors(id string) []map[string]any {
	e.t.Helper()
	a := e.get("/jobs/" + id + "/errors")
	if a.status == http.StatusNoContent {
		return nil
	}
	var out []map[string]any
	d := json.NewDecoder(bytes.NewReader(a.body))
	d.UseNumber()
	if a.status != 200 || d.Decode(&out) != nil {
		e.t.Fatalf("errors: %d %s", a.status, a.body)
	}
	return out
}

// codes lists "code@path" of one user error.
func codes(ue map[string]any) []string {
	var out []string
	for _, x := range ue["errors"].([]any) {
		m := x.(map[string]any)
		p, _ := m["path"].(string)
		out = append(out, m["code"].(string)+"@"+p)
	}
	return out
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func raw(s ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(s))
	for i, x := range s {
		out[i] = json.RawMessage(x)
	}
	return out
}
