package auth0api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/auth0api"
)

func TestConnectionByName(t *testing.T) {
	const name = "Username-Password-Authentication"
	db := `{"id":"con_0123456789abcdef","name":"Username-Password-Authentication","strategy":"auth0","enabled_clients":["client_a","client_b"],"options":{"passwordPolicy":"good","bruteForceProtection":true,"validation":{"username":{"min":1,"max":15}},"big":12345678901234567890}}`
	tests := []struct {
		name string
		// byStrategy answers ?name=…&strategy=auth0, byName ?name=… alone.
		byStrategy, byName string
		wantErr            string
		wantLog            string
		wantLookups        int
	}{
		{name: "found", byStrategy: "[" + db + "]", wantLookups: 1},
		{name: "found in include_totals shape", byStrategy: `{"total":1,"start":0,"limit":50,"connections":[` + db + `]}`, wantLookups: 1},
		{name: "other names ignored", byStrategy: `[{"id":"con_x","name":"username-password-authentication","strategy":"auth0","enabled_clients":["a"]},` + db + `]`, wantLookups: 1},
		{name: "not found", byStrategy: "[]", byName: "[]", wantErr: `no connection named "Username-Password-Authentication"`, wantLookups: 2},
		{name: "not a database connection", byStrategy: "[]", byName: `[{"id":"con_1","name":"Username-Password-Authentication","strategy":"google-oauth2","enabled_clients":["a"]}]`, wantErr: `not a database connection (strategy "google-oauth2"`, wantLookups: 2},
		{name: "strategy filter ignored by server", byStrategy: `[{"id":"con_1","name":"Username-Password-Authentication","strategy":"samlp","enabled_clients":["a"]}]`, byName: `[{"id":"con_1","name":"Username-Password-Authentication","strategy":"samlp","enabled_clients":["a"]}]`, wantErr: "not a database connection", wantLookups: 2},
		{name: "disabled", byStrategy: `[{"id":"con_0123456789abcdef","name":"Username-Password-Authentication","strategy":"auth0","enabled_clients":[]}]`, wantErr: "is not enabled for any application", wantLookups: 1},
		{name: "enabled_clients absent", byStrategy: `[{"id":"con_0123456789abcdef","name":"Username-Password-Authentication","strategy":"auth0"}]`, wantLog: "did not return enabled_clients", wantLookups: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var queries []string
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v2/connections" || r.Method != http.MethodGet {
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
				q := r.URL.Query()
				queries = append(queries, r.URL.RawQuery)
				if q.Get("name") != name {
					t.Errorf("name=%q", q.Get("name"))
				}
				if q.Get("strategy") == "auth0" {
					writeRaw(w, 200, tt.byStrategy)
				} else {
					writeRaw(w, 200, tt.byName)
				}
			}, nil)
			conn, err := e.c.ConnectionByName(context.Background(), name)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if conn.ID != "con_0123456789abcdef" || conn.Name != name || conn.Strategy != "auth0" {
					t.Fatalf("conn = %+v", conn)
				}
				if tt.wantLog == "" {
					if !reflect.DeepEqual(conn.EnabledClients, []string{"client_a", "client_b"}) {
						t.Fatalf("EnabledClients = %v", conn.EnabledClients)
					}
					if conn.Options["big"] != json.Number("12345678901234567890") || conn.Options["bruteForceProtection"] != true {
						t.Fatalf("Options = %v", conn.Options)
					}
					if !json.Valid(conn.Raw) || !bytes.Contains(conn.Raw, []byte(`"passwordPolicy"`)) {
						t.Fatalf("Raw = %s", conn.Raw)
					}
				}
			}
			if tt.wantLog != "" && !strings.Contains(e.logs.String(), tt.wantLog) {
				t.Fatalf("logs lack %q:\n%s", tt.wantLog, e.logs.String())
			}
			if len(queries) != tt.wantLookups {
				t.Fatalf("lookups %v, want %d", queries, tt.wantLookups)
			}
			if queries[0] != "name=Username-Password-Authentication&strategy=auth0" {
				t.Fatalf("first query %q", queries[0])
			}
		})
	}
}

func TestConnectionByID(t *testing.T) {
	tests := []struct {
		name       string
		api        http.HandlerFunc
		wantErr    string
		fatal      bool
		wantStatus int
	}{
		{name: "found", api: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v2/connections/con_0123456789abcdef" {
				t.Errorf("path %s", r.URL.Path)
			}
			writeRaw(w, 200, `{"id":"con_0123456789abcdef","name":"db","strategy":"auth0","enabled_clients":["a"]}`)
		}},
		{name: "404 is fatal", api: status(404, `{"statusCode":404,"error":"Not Found","message":"The connection does not exist","errorCode":"inexistent_connection"}`),
			wantErr: "inexistent_connection: The connection does not exist", fatal: true, wantStatus: 404},
		{name: "403 missing scope is fatal and names it", api: status(403, `{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:connections","errorCode":"insufficient_scope"}`),
			wantErr: "read:connections", fatal: true, wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.api, nil)
			conn, err := e.c.Connection(context.Background(), "con_0123456789abcdef")
			if tt.wantErr == "" {
				if err != nil || conn.Name != "db" {
					t.Fatalf("%+v, %v", conn, err)
				}
				return
			}
			var ae *auth0api.APIError
			if !errors.As(err, &ae) || ae.Fatal() != tt.fatal || ae.StatusCode != tt.wantStatus || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v", err)
			}
			if ae.Temporary() {
				t.Fatal("Temporary() = true")
			}
			if len(e.tn.Calls()) != 1 {
				t.Fatalf("calls %v (permanent errors must not be retried)", e.tn.Calls())
			}
		})
	}
}

type gotPart struct {
	name, filename, ctype, body string
}

// readParts parses a multipart/form-data request the way a server would.
func readParts(t *testing.T, r *http.Request) []gotPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		t.Errorf("Content-Type %q: %v", r.Header.Get("Content-Type"), err)
		return nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		t.Error(err)
		return nil
	}
	var parts []gotPart
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Error(err)
			return parts
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, gotPart{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), string(b)})
	}
}

const usersFile = `[{"email":"a@example.com","user_id":"1","custom_password_hash":{"algorithm":"bcrypt","hash":{"value":"$2b$10$abcdefghijklmnopqrstuu"}},"app_metadata":{"n":12345678901234567890}}]`

func TestImportUsersMultipart(t *testing.T) {
	tests := []struct {
		name string
		req  auth0api.ImportRequest
		want []gotPart
	}{
		{
			name: "all fields",
			req:  auth0api.ImportRequest{ConnectionID: "con_0123456789abcdef", Users: []byte(usersFile), Filename: "batch-0001.json", Upsert: true, ExternalID: "usher-run1-0001", SendCompletionEmail: true},
			want: []gotPart{
				{name: "connection_id", body: "con_0123456789abcdef"},
				{name: "upsert", body: "true"},
				{name: "external_id", body: "usher-run1-0001"},
				{name: "send_completion_email", body: "true"},
				{name: "users", filename: "batch-0001.json", ctype: "application/json", body: usersFile},
			},
		},
		{
			name: "no external id, false flags always sent, default filename",
			req:  auth0api.ImportRequest{ConnectionID: "con_0123456789abcdef", Users: []byte(usersFile)},
			want: []gotPart{
				{name: "connection_id", body: "con_0123456789abcdef"},
				{name: "upsert", body: "false"},
				{name: "send_completion_email", body: "false"},
				{name: "users", filename: "users.json", ctype: "application/json", body: usersFile},
			},
		},
		{
			name: "filename path and quotes",
			req:  auth0api.ImportRequest{ConnectionID: "con_0123456789abcdef", Users: []byte(usersFile), Filename: `/tmp/out/we"ird\name.json`},
			want: []gotPart{
				{name: "connection_id", body: "con_0123456789abcdef"},
				{name: "upsert", body: "false"},
				{name: "send_completion_email", body: "false"},
				{name: "users", filename: "name.json", ctype: "application/json", body: usersFile},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []gotPart
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/api/v2/jobs/users-imports" {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				got = readParts(t, r)
				writeRaw(w, 202, `{"status":"pending","type":"users_import","created_at":"2026-01-01T00:00:00.000Z","id":"job_abc123","connection_id":"con_0123456789abcdef","connection":"Username-Password-Authentication","upsert":true,"external_id":"usher-run1-0001","send_completion_email":true}`)
			}, nil)
			job, err := e.c.ImportUsers(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parts\n got %q\nwant %q", got, tt.want)
			}
			want := auth0api.Job{ID: "job_abc123", Type: "users_import", Status: "pending", ConnectionID: "con_0123456789abcdef",
				Connection: "Username-Password-Authentication", ExternalID: "usher-run1-0001", CreatedAt: "2026-01-01T00:00:00.000Z",
				Upsert: true, SendCompletionEmail: true}
			job.Raw = nil
			if !reflect.DeepEqual(job, want) {
				t.Fatalf("job %+v\nwant %+v", job, want)
			}
		})
	}
}

func TestImportUsersValidation(t *testing.T) {
	tests := []struct {
		name string
		req  auth0api.ImportRequest
	}{
		{name: "no connection", req: auth0api.ImportRequest{Users: []byte("[]")}},
		{name: "no users", req: auth0api.ImportRequest{ConnectionID: "con_0123456789abcdef"}},
		{name: "blank users", req: auth0api.ImportRequest{ConnectionID: "con_0123456789abcdef", Users: []byte(" \n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, jobOK, nil)
			if _, err := e.c.ImportUsers(context.Background(), tt.req); err == nil {
				t.Fatal("no error")
			}
			if len(e.tn.Calls()) != 0 {
				t.Fatal("request sent")
			}
		})
	}
}

const tooManyJobs = `{"statusCode":429,"error":"Too Many Requests","message":"There are 2 active import users jobs, please wait until some of them are finished and try again"}`

func TestImportUsersAnswers(t *testing.T) {
	accepted := status(202, `{"id":"job_1","type":"users_import","status":"pending","connection_id":"con_0123456789abcdef"}`)
	tests := []struct {
		name      string
		api       http.HandlerFunc
		wantIs    error  // errors.Is target
		wantErr   string // substring; "" with wantIs nil = success
		temporary bool
		wantCalls int
	}{
		{name: "too many jobs not retried", api: status(429, tooManyJobs), wantIs: auth0api.ErrTooManyJobs, wantErr: "There are 2 active import users jobs", wantCalls: 1},
		{name: "413 too large", api: status(413, `{"statusCode":413,"error":"Request Entity Too Large","message":"Payload content length greater than maximum allowed: 512000"}`), wantIs: auth0api.ErrTooLarge, wantErr: "512000", wantCalls: 1},
		{name: "400 permanent", api: status(400, `{"statusCode":400,"error":"Bad Request","message":"Connection must be enabled","errorCode":"invalid_body"}`), wantErr: "Connection must be enabled", wantCalls: 1},
		{name: "rate-limit 429 retried", api: sequence(status(429, `{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached"}`), accepted), wantCalls: 2},
		{name: "503 retried", api: sequence(status(503, `{"statusCode":503,"error":"Service Unavailable"}`), accepted), wantCalls: 2},
		{name: "dropped connection retried", api: sequence(dropConnection, accepted), wantCalls: 2},
		{name: "truncated 202 not re-sent", api: truncated(`{"id":"job_1","type":"users_`), wantErr: "not re-sent", wantCalls: 1},
		{name: "malformed 202 not re-sent", api: status(202, `{"id":"job_1",`), wantErr: "not re-sent", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bodies []string
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				parts := readParts(t, r)
				var sb strings.Builder
				for _, p := range parts {
					sb.WriteString(p.name + "=" + p.body + ";")
				}
				bodies = append(bodies, sb.String())
				tt.api(w, r)
			}, nil)
			job, err := e.c.ImportUsers(context.Background(), auth0api.ImportRequest{ConnectionID: "con_0123456789abcdef", Users: []byte(usersFile)})
			if tt.wantErr == "" && tt.wantIs == nil {
				if err != nil || job.ID != "job_1" {
					t.Fatalf("%+v, %v", job, err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Fatalf("errors.Is(%v, %v) = false", err, tt.wantIs)
				}
				for _, other := range []error{auth0api.ErrTooManyJobs, auth0api.ErrTooLarge} {
					if other != tt.wantIs && errors.Is(err, other) {
						t.Fatalf("err %v matches %v", err, other)
					}
				}
				var ae *auth0api.APIError
				if errors.As(err, &ae) && ae.Temporary() {
					t.Fatalf("Temporary() = true for %v", err)
				}
				if strings.Contains(err.Error(), "a@example.com") || strings.Contains(err.Error(), "$2b$") {
					t.Fatalf("error contains the users file: %v", err)
				}
			}
			if len(bodies) != tt.wantCalls {
				t.Fatalf("requests %d, want %d", len(bodies), tt.wantCalls)
			}
			for i := range bodies {
				if want := "connection_id=con_0123456789abcdef;upsert=false;send_completion_email=false;users=" + usersFile + ";"; bodies[i] != want {
					t.Fatalf("body %d = %q", i, bodies[i])
				}
			}
			if strings.Contains(e.logs.String(), "a@example.com") {
				t.Fatal("logs contain the users file")
			}
		})
	}
}

func TestJobDecode(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     auth0api.Job
		terminal bool
	}{
		{name: "pending", body: `{"status":"pending","type":"users_import","created_at":"2026-01-01T00:00:00.000Z","id":"job_1","connection_id":"con_0123456789abcdef","connection":"db","upsert":false,"external_id":"x","send_completion_email":false}`,
			want: auth0api.Job{ID: "job_1", Type: "users_import", Status: "pending", ConnectionID: "con_0123456789abcdef", Connection: "db", ExternalID: "x", CreatedAt: "2026-01-01T00:00:00.000Z"}},
		{name: "processing", body: `{"id":"job_1","status":"processing","percentage_done":45,"time_left_seconds":120}`,
			want: auth0api.Job{ID: "job_1", Status: "processing", PercentageDone: 45, TimeLeftSeconds: 120}},
		{name: "completed with summary", body: `{"status":"completed","type":"users_import","id":"job_1","connection_id":"con_0123456789abcdef","external_id":"b-1","summary":{"failed":1,"updated":0,"inserted":999,"total":1000}}`,
			want: auth0api.Job{ID: "job_1", Type: "users_import", Status: "completed", ConnectionID: "con_0123456789abcdef", ExternalID: "b-1", Summary: &auth0api.Summary{Failed: 1, Inserted: 999, Total: 1000}}, terminal: true},
		{name: "failed", body: `{"id":"job_1","status":"failed","status_details":"Failed to parse users file JSON when importing users.","summary":{"failed":0,"updated":0,"inserted":0,"total":0}}`,
			want: auth0api.Job{ID: "job_1", Status: "failed", StatusDetails: "Failed to parse users file JSON when importing users.", Summary: &auth0api.Summary{}}, terminal: true},
		{name: "expired", body: `{"id":"job_1","status":"expired"}`, want: auth0api.Job{ID: "job_1", Status: "expired"}, terminal: true},
		{name: "export completed", body: `{"id":"job_2","type":"users_export","status":"completed","format":"json","location":"https://user-exports.auth0.com/job_2/acme.json.gz?Signature=x"}`,
			want: auth0api.Job{ID: "job_2", Type: "users_export", Status: "completed", Format: "json", Location: "https://user-exports.auth0.com/job_2/acme.json.gz?Signature=x"}, terminal: true},
		{name: "unknown status not terminal", body: `{"id":"job_1","status":"queued","extra":{"a":1}}`, want: auth0api.Job{ID: "job_1", Status: "queued"}},
		{name: "lenient numbers and flags", body: `{"id":"job_1","status":"processing","percentage_done":"7","time_left_seconds":1.9,"upsert":"true","send_completion_email":null}`,
			want: auth0api.Job{ID: "job_1", Status: "processing", PercentageDone: 7, TimeLeftSeconds: 1, Upsert: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/api/v2/jobs/job_1" {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				writeRaw(w, 200, tt.body)
			}, nil)
			job, err := e.c.Job(context.Background(), "job_1")
			if err != nil {
				t.Fatal(err)
			}
			if string(job.Raw) != tt.body {
				t.Fatalf("Raw = %s", job.Raw)
			}
			job.Raw = nil
			if !reflect.DeepEqual(job, tt.want) {
				t.Fatalf("job %+v\nwant %+v", job, tt.want)
			}
			if job.Terminal() != tt.terminal {
				t.Fatalf("Terminal() = %v", job.Terminal())
			}
		})
	}
}

func TestJobErrors(t *testing.T) {
	tests := []struct {
		name     string
		api      http.HandlerFunc
		wantErrs []auth0api.UserError
		wantJob  *auth0api.Job
	}{
		{name: "204 no errors", api: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }},
		{name: "empty 200", api: status(200, "")},
		{
			name: "array with exact numbers and redacted values",
			api: status(200, `[{"user":{"email":"test@test.io","user_id":"7af4c65c","logins_count":12345678901234567890,"app_metadata":{"score":1.10,"tiny":1e-400},"custom_password_hash":{"algorithm":"ldap","hash":{"value":"*****"}}},
			  "errors":[{"code":"CONFLICT_EMAIL","message":"The user already exists.","path":"email"},{"code":"INVALID_FORMAT","message":"Object didn't pass validation for format email","path":"identities[0].profileData.email"}]},
			 {"user":{"email":"b@test.io"},"errors":[{"code":"DUPLICATED_USER","message":"A user with this email was already provided."}]}]`),
			wantErrs: []auth0api.UserError{
				{User: map[string]any{"email": "test@test.io", "user_id": "7af4c65c", "logins_count": json.Number("12345678901234567890"),
					"app_metadata":         map[string]any{"score": json.Number("1.10"), "tiny": json.Number("1e-400")},
					"custom_password_hash": map[string]any{"algorithm": "ldap", "hash": map[string]any{"value": "*****"}}},
					Errors: []auth0api.UserErrorDetail{{Code: "CONFLICT_EMAIL", Message: "The user already exists.", Path: "email"}, {Code: "INVALID_FORMAT", Message: "Object didn't pass validation for format email", Path: "identities[0].profileData.email"}}},
				{User: map[string]any{"email": "b@test.io"}, Errors: []auth0api.UserErrorDetail{{Code: "DUPLICATED_USER", Message: "A user with this email was already provided."}}},
			},
		},
		{name: "empty array", api: status(200, `[]`), wantErrs: []auth0api.UserError{}},
		{
			name:    "job object shape",
			api:     status(200, `{"id":"job_1","type":"users_import","status":"failed","created_at":"2026-01-01T00:00:00.000Z","connection_id":"con_0123456789abcdef","status_details":"Failed to parse users file JSON when importing users."}`),
			wantJob: &auth0api.Job{ID: "job_1", Type: "users_import", Status: "failed", CreatedAt: "2026-01-01T00:00:00.000Z", ConnectionID: "con_0123456789abcdef", StatusDetails: "Failed to parse users file JSON when importing users."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/api/v2/jobs/job_1/errors" {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				tt.api(w, r)
			}, nil)
			errs, job, err := e.c.JobErrors(context.Background(), "job_1")
			if err != nil {
				t.Fatal(err)
			}
			if job != nil {
				job.Raw = nil
			}
			if !reflect.DeepEqual(errs, tt.wantErrs) || !reflect.DeepEqual(job, tt.wantJob) {
				t.Fatalf("got %#v, %#v\nwant %#v, %#v", errs, job, tt.wantErrs, tt.wantJob)
			}
		})
	}
}

func TestExportUsers(t *testing.T) {
	tests := []struct {
		name string
		req  auth0api.ExportRequest
		want string
	}{
		{name: "full", req: auth0api.ExportRequest{ConnectionID: "con_0123456789abcdef", Format: "json", Limit: 5,
			Fields: []auth0api.ExportField{{Name: "user_id"}, {Name: "email"}, {Name: "identities[0].connection", ExportAs: "provider"}, {Name: "user_metadata"}}},
			want: `{"connection_id":"con_0123456789abcdef","format":"json","limit":5,"fields":[{"name":"user_id"},{"name":"email"},{"name":"identities[0].connection","export_as":"provider"},{"name":"user_metadata"}]}`},
		{name: "minimal", req: auth0api.ExportRequest{}, want: `{}`},
		{name: "csv all connections", req: auth0api.ExportRequest{Format: "csv"}, want: `{"format":"csv"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if r.Method != http.MethodPost || r.URL.Path != "/api/v2/jobs/users-exports" || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("%s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
				}
				if string(b) != tt.want {
					t.Errorf("body %s\nwant %s", b, tt.want)
				}
				writeRaw(w, 201, `{"type":"users_export","status":"pending","connection_id":"con_0123456789abcdef","format":"json","limit":5,"fields":[{"name":"email"}],"connection":"db","created_at":"2026-01-01T00:00:00.000Z","id":"job_exp"}`)
			}, nil)
			job, err := e.c.ExportUsers(context.Background(), tt.req)
			if err != nil || job.ID != "job_exp" || job.Type != "users_export" || job.Format != "json" {
				t.Fatalf("%+v, %v", job, err)
			}
		})
	}
}

func TestDownload(t *testing.T) {
	const payload = "\x1f\x8b\x08\x00gzip-bytes-as-stored"
	tests := []struct {
		name      string
		h         http.HandlerFunc
		wantErr   string
		wantCalls int
	}{
		{name: "200", h: status(200, payload), wantCalls: 1},
		{name: "served with Content-Encoding kept as stored", h: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = io.WriteString(w, payload)
		}, wantCalls: 1},
		{name: "503 then 200", h: sequence(status(503, "busy"), status(200, payload)), wantCalls: 2},
		{name: "dropped then 200", h: sequence(dropConnection, status(200, payload)), wantCalls: 2},
		{name: "403 expired link is permanent", h: status(403, `<Error><Code>AccessDenied</Code></Error>`), wantErr: "HTTP 403", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.URL.Path != "/exports/job_2/acme.json.gz" || r.URL.Query().Get("Signature") != "SIGxyz" {
					t.Errorf("URL %s", r.URL)
				}
				tt.h(w, r)
			}, nil)
			if _, err := e.c.Token(context.Background()); err != nil { // a token exists but must not be sent
				t.Fatal(err)
			}
			rc, err := e.c.Download(context.Background(), e.srv.URL+"/exports/job_2/acme.json.gz?Expires=1&Key-Pair-Id=K&Signature=SIGxyz")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				if strings.Contains(err.Error(), "SIGxyz") || strings.Contains(err.Error(), "Key-Pair-Id") {
					t.Fatalf("error contains the signed query: %v", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || string(b) != payload {
					t.Fatalf("body %q, %v", b, err)
				}
			}
			for _, a := range e.tn.Auths() {
				if a != "" {
					t.Fatalf("Authorization sent to the download location: %q", a)
				}
			}
			if calls != tt.wantCalls {
				t.Fatalf("calls %d, want %d", calls, tt.wantCalls)
			}
			if strings.Contains(e.logs.String(), "SIGxyz") {
				t.Fatal("logs contain the signature")
			}
		})
	}
}

func TestDownloadBadLocation(t *testing.T) {
	e := newEnv(t, jobOK, nil)
	for _, loc := range []string{"", "/relative/path", "ftp://x/y", "https://"} {
		if _, err := e.c.Download(context.Background(), loc); err == nil {
			t.Errorf("Download(%q): no error", loc)
		}
	}
}
