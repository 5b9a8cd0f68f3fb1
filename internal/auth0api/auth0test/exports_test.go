package auth0test_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
)

func exportEnv(t *testing.T, o auth0test.Options) *env {
	o.Connections = []auth0test.Connection{
		{ID: connID, Name: connName, Strategy: "auth0", Enabled: true},
		{ID: "con_OTHER00000000000", Name: "other", Strategy: "auth0", Enabled: true},
	}
	o.Users = raw(
		`{"email":"ann@example.com","user_id":"u1","name":"Ann \"The Hammer\", Jr","email_verified":true,
		  "password_hash":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
		  "user_metadata":{"consent":{"given":true},"n":42}}`,
		`{"email":"bob@example.com","user_id":"u2"}`,
		`{"email":"cat@example.com","user_id":"auth0|u3","connection":"other"}`,
	)
	if o.ProcessingTime == 0 {
		o.ProcessingTime = time.Second
	}
	return newEnv(t, o)
}

// export creates an export job and returns its id (the answer must be 200).
func (e *env) export(body string) string {
	e.t.Helper()
	a := e.api(http.MethodPost, "/jobs/users-exports", strings.NewReader(body), "application/json")
	if a.status != 200 {
		e.t.Fatalf("export: %d %s", a.status, a.body)
	}
	m := a.json(e.t)
	if m["status"] != "pending" || m["type"] != "users_export" {
		e.t.Fatalf("export job %s", a.body)
	}
	return m["id"].(string)
}

// download fetches a location URL.
func (e *env) download(location string) answer {
	req, _ := http.NewRequest(http.MethodGet, location, nil)
	return e.do(req)
}

// exported runs an export to completion and returns the file's text.
func (e *env) exported(body string) string {
	e.t.Helper()
	id := e.export(body)
	j := e.finish(id, time.Second)
	loc, _ := j["location"].(string)
	if !strings.HasPrefix(loc, e.srv.URL+"/exports/"+id+"/") {
		e.t.Fatalf("location %q", loc)
	}
	a := e.download(loc)
	if a.status != 200 || a.header.Get("Content-Type") != "application/gzip" {
		e.t.Fatalf("download: %d %s", a.status, a.body)
	}
	return gunzip(e.t, a.body)
}

func TestExportNDJSON(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{
			name: "fields with export_as",
			body: `{"connection_id":"` + connID + `","format":"json","fields":[{"name":"user_id"},{"name":"email","export_as":"Email"},
				{"name":"identities[0].connection","export_as":"provider"},{"name":"user_metadata.consent.given"},{"name":"password_hash"},{"name":"user_metadata"}]}`,
			want: `{"user_id":"auth0|u1","Email":"ann@example.com","provider":"Username-Password-Authentication","user_metadata.consent.given":true,"user_metadata":{"consent":{"given":true},"n":42}}` + "\n" +
				`{"user_id":"auth0|u2","Email":"bob@example.com","provider":"Username-Password-Authentication"}` + "\n",
		},
		{
			name: "all connections with a limit",
			body: `{"fields":[{"name":"user_id"}],"limit":3}`,
			want: `{"user_id":"auth0|u1"}` + "\n" + `{"user_id":"auth0|u2"}` + "\n" + `{"user_id":"auth0|u3"}` + "\n",
		},
		{
			name: "limit",
			body: `{"connection_id":"` + connID + `","fields":[{"name":"email"}],"limit":1}`,
			want: `{"email":"ann@example.com"}` + "\n",
		},
		{
			name: "other connection, default fields",
			body: `{"connection_id":"con_OTHER00000000000"}`,
			want: `{"user_id":"auth0|u3","email":"cat@example.com","created_at":"2026-03-04T05:06:07.000Z","updated_at":"2026-03-04T05:06:07.000Z",` +
				`"identities":[{"connection":"other","isSocial":false,"provider":"auth0","user_id":"u3"}]}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := exportEnv(t, auth0test.Options{})
			if got := e.exported(tt.body); got != tt.want {
				t.Errorf("file:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
	t.Run("default fields hold no password material", func(t *testing.T) {
		e := exportEnv(t, auth0test.Options{})
		got := e.exported(`{"format":"json"}`)
		if strings.Contains(got, "password") || strings.Contains(got, "$2b$") || strings.Count(got, "\n") != 3 {
			t.Errorf("file %s", got)
		}
		for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil || !strings.HasPrefix(m["user_id"].(string), "auth0|") {
				t.Errorf("line %s: %v", line, err)
			}
		}
	})
}

func TestExportCSV(t *testing.T) {
	e := exportEnv(t, auth0test.Options{})
	got := e.exported(`{"connection_id":"` + connID + `","format":"csv","fields":[{"name":"user_id","export_as":"Id"},{"name":"name"},
		{"name":"created_at"},{"name":"email_verified"},{"name":"user_metadata.n","export_as":"n, count"},{"name":"identities"}]}`)
	want := `Id,name,created_at,email_verified,"n, count",identities` + "\n" +
		`"'auth0|u1","'Ann ""The Hammer"", Jr",2026-03-04T05:06:07.000Z,true,42,` +
		`"'[{""connection"":""Username-Password-Authentication"",""isSocial"":false,""provider"":""auth0"",""user_id"":""u1""}]"` + "\n" +
		`"'auth0|u2","'bob@example.com",2026-03-04T05:06:07.000Z,false,,` +
		`"'[{""connection"":""Username-Password-Authentication"",""isSocial"":false,""provider"":""auth0"",""user_id"":""u2""}]"` + "\n"
	if got != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
	t.Run("default fields", func(t *testing.T) {
		got := e.exported(`{"format":"csv","limit":1}`)
		lines := strings.Split(got, "\n")
		if lines[0] != "user_id,email,email_verified,username,phone_number,phone_verified,given_name,family_name,name,nickname,picture,blocked,created_at,updated_at,identities[0].connection" ||
			!strings.HasPrefix(lines[1], `"'auth0|u1","'ann@example.com",true,`) {
			t.Errorf("file %s", got)
		}
	})
}

func TestExportValidation(t *testing.T) {
	e := exportEnv(t, auth0test.Options{})
	var thirtyOne []string
	for i := range 31 {
		thirtyOne = append(thirtyOne, fmt.Sprintf(`{"name":"user_metadata.f%d"}`, i))
	}
	tests := []struct {
		name, body, ct string
		want           int
		message        string
	}{
		{"unknown property", `{"format":"json","connection":"x"}`, "", 400, "Payload validation error: 'Additional properties not allowed: connection'."},
		{"bad format", `{"format":"xml"}`, "", 400, `Payload validation error: 'No enum match for: "xml"' on property format.`},
		{"limit zero", `{"limit":0}`, "", 400, "Payload validation error: 'Value 0 is less than minimum 1' on property limit."},
		{"limit not an integer", `{"limit":1.5}`, "", 400, "Payload validation error: 'Expected type integer but found type number' on property limit."},
		{"bad connection id", `{"connection_id":"con_x"}`, "", 400, "Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: con_x' on property connection_id."},
		{"unknown connection", `{"connection_id":"con_0000000000000000"}`, "", 400, auth0test.MsgConnectionNotFound},
		{"field without name", `{"fields":[{"export_as":"x"}]}`, "", 400, "Payload validation error: 'Missing required property: name' on property fields[0]."},
		{"field with extra member", `{"fields":[{"name":"email","as":"x"}]}`, "", 400, "Payload validation error: 'Additional properties not allowed: as' on property fields[0]."},
		{"field name too long", `{"fields":[{"name":"` + strings.Repeat("a", 101) + `"}]}`, "", 400, "Payload validation error: 'String is too long (101 chars), maximum 100' on property fields[0].name."},
		{"csv with 31 fields", `{"format":"csv","fields":[` + strings.Join(thirtyOne, ",") + `]}`, "", 400, "CSV exports are limited to 30 fields"},
		{"csv with 30 fields", `{"format":"csv","fields":[` + strings.Join(thirtyOne[:30], ",") + `]}`, "", 200, ""},
		{"csv with whole metadata", `{"format":"csv","fields":[{"name":"user_metadata"}]}`, "", 400,
			"CSV exports cannot include user_metadata as a single object; name its fields instead, or export JSON"},
		{"not json", `{`, "", 400, "Invalid request payload JSON format"},
		{"empty body", ``, "", 200, ""},
		{"nulls are absent", `{"connection_id":null,"limit":null}`, "", 200, ""},
		{"form body", `format=json`, "application/x-www-form-urlencoded", 415, "Unsupported Media Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.ct
			if ct == "" {
				ct = "application/json"
			}
			a := e.api(http.MethodPost, "/jobs/users-exports", strings.NewReader(tt.body), ct)
			if a.status != tt.want {
				t.Fatalf("status %d, want %d: %s", a.status, tt.want, a.body)
			}
			if tt.want != 200 {
				if got := a.message(t); got != tt.message {
					t.Errorf("message %q, want %q", got, tt.message)
				}
			}
		})
	}
}

func TestExportLinks(t *testing.T) {
	t.Run("expiry and a fresh link", func(t *testing.T) {
		e := exportEnv(t, auth0test.Options{})
		id := e.export(`{"format":"json"}`)
		first := e.finish(id, time.Second)["location"].(string)
		if !strings.Contains(first, "/"+auth0test.DefaultTenant+".json.gz?Expires=") {
			t.Errorf("location %s", first)
		}
		if a := e.download(first); a.status != 200 {
			t.Fatalf("first download %d", a.status)
		}
		e.clk.Advance(59 * time.Second)
		if a := e.download(first); a.status != 200 {
			t.Errorf("download after 59s: %d", a.status)
		}
		e.clk.Advance(time.Second)
		a := e.download(first)
		if a.status != 403 || !strings.Contains(string(a.body), "Request has expired") {
			t.Errorf("expired link: %d %s", a.status, a.body)
		}
		second := e.job(id)["location"].(string)
		if second == first {
			t.Errorf("GET job gave the same link")
		}
		if a := e.download(second); a.status != 200 {
			t.Errorf("fresh link: %d", a.status)
		}
		if a := e.download(strings.Replace(second, "Signature=", "Signature=0", 1)); a.status != 403 {
			t.Errorf("forged link: %d", a.status)
		}
		st := e.srv.Stats()
		if st.Downloads != 3 || st.ExpiredLinks != 1 || st.ExportJobs != 1 {
			t.Errorf("stats %+v", st)
		}
		if a := e.get("/jobs/" + id + "/errors"); a.status != 204 {
			t.Errorf("export errors: %d %s", a.status, a.body)
		}
	})
	t.Run("retention", func(t *testing.T) {
		e := exportEnv(t, auth0test.Options{Retention: time.Hour, ExportLinkTTL: 2 * time.Hour})
		id := e.export(`{"format":"csv"}`)
		loc := e.finish(id, 30*time.Minute)["location"].(string)
		if !strings.Contains(loc, ".csv.gz?") {
			t.Errorf("location %s", loc)
		}
		e.clk.Advance(30 * time.Minute)
		if a := e.download(loc); a.status != 404 {
			t.Errorf("download after retention: %d", a.status)
		}
		if a := e.get("/jobs/" + id); a.status != 404 {
			t.Errorf("job after retention: %d", a.status)
		}
	})
}
