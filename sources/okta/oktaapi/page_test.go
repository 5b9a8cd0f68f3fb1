package oktaapi

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodePage(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantRaw   []string
		wantIDs   []string
		wantBad   bool // errBadJSON (retried)
		wantErr   bool // other error (permanent)
		wantGroup []bool
	}{
		{name: "empty array", body: `[]`},
		{name: "whitespace around", body: " \n[ ]\r\n"},
		{
			name:    "elements verbatim",
			body:    "[ {\"status\":\"ACTIVE\", \"id\" : \"00u1\",\"n\":1.50e+3} ,\n{\"id\":\"00u2\",\"big\":123456789012345678901234567890,\"s\":\"\\u00e9\"}]",
			wantRaw: []string{`{"status":"ACTIVE", "id" : "00u1","n":1.50e+3}`, `{"id":"00u2","big":123456789012345678901234567890,"s":"\u00e9"}`},
			wantIDs: []string{"00u1", "00u2"},
		},
		{
			name:      "existing groups key noticed",
			body:      `[{"id":"a","groups":[]},{"id":"b","profile":{"groups":1}}]`,
			wantRaw:   []string{`{"id":"a","groups":[]}`, `{"id":"b","profile":{"groups":1}}`},
			wantIDs:   []string{"a", "b"},
			wantGroup: []bool{true, false},
		},
		{name: "truncated", body: `[{"id":"00u1"},{"id":"00`, wantBad: true},
		{name: "empty body", body: ``, wantBad: true},
		{name: "html", body: `<html>`, wantBad: true},
		{name: "null", body: `null`, wantErr: true},
		{name: "object", body: `{"id":"a"}`, wantErr: true},
		{name: "element not an object", body: `[{"id":"a"},"b"]`, wantErr: true},
		{name: "no id", body: `[{"status":"ACTIVE"}]`, wantErr: true},
		{name: "numeric id", body: `[{"id":7}]`, wantErr: true},
		{name: "empty id", body: `[{"id":""}]`, wantErr: true},
		{name: "id in other case only", body: `[{"ID":"a"}]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, err := decodePage([]byte(tt.body))
			switch {
			case tt.wantBad:
				if !errors.Is(err, errBadJSON) {
					t.Fatalf("err %v, want errBadJSON", err)
				}
				return
			case tt.wantErr:
				if err == nil || errors.Is(err, errBadJSON) {
					t.Fatalf("err %v, want a permanent error", err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if len(users) != len(tt.wantRaw) {
				t.Fatalf("%d users, want %d", len(users), len(tt.wantRaw))
			}
			for i, u := range users {
				if string(u.raw) != tt.wantRaw[i] || u.id != tt.wantIDs[i] {
					t.Errorf("user %d: %s %q", i, u.raw, u.id)
				}
				if tt.wantGroup != nil && u.hasGroups != tt.wantGroup[i] {
					t.Errorf("user %d: hasGroups %v", i, u.hasGroups)
				}
			}
		})
	}
}

func TestWithGroups(t *testing.T) {
	tests := []struct{ obj, groups, want string }{
		{`{"id":"a"}`, `[]`, `{"id":"a","groups":[]}`},
		{"{\n  \"id\": \"a\"\n}", `[{"id":"g"}]`, "{\n  \"id\": \"a\"\n,\"groups\":[{\"id\":\"g\"}]}"},
		{`{}`, `[1]`, `{"groups":[1]}`},
		{`{ }`, `[]`, `{ "groups":[]}`},
	}
	for _, tt := range tests {
		got := withGroups([]byte(tt.obj), []byte(tt.groups))
		if string(got) != tt.want {
			t.Errorf("withGroups(%q) = %q, want %q", tt.obj, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("withGroups(%q) is not valid JSON", tt.obj)
		}
	}
}

func TestShrinkLimit(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://x/api/v1/users?limit=200", "https://x/api/v1/users?limit=100", true},
		{"https://x/api/v1/users?after=a%2Fb&limit=200&search=s+t", "https://x/api/v1/users?after=a%2Fb&limit=100&search=s+t", true},
		{"https://x/api/v1/users?limit=40", "https://x/api/v1/users?limit=25", true},
		{"https://x/api/v1/users?limit=25", "https://x/api/v1/users?limit=25", false},
		{"https://x/api/v1/users?xlimit=200", "https://x/api/v1/users?xlimit=200", false},
		{"https://x/api/v1/users/00u1/groups", "https://x/api/v1/users/00u1/groups", false},
		{"https://x/api/v1/users?limit=abc", "https://x/api/v1/users?limit=abc", false},
	}
	for _, tt := range tests {
		got, ok := shrinkLimit(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("shrinkLimit(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestResetWait(t *testing.T) {
	now := time.Unix(1000, 250_000_000)
	tests := []struct {
		name  string
		reset int64
		want  time.Duration
	}{
		{"next second", 1001, 750*time.Millisecond + ResetMargin},
		{"ten seconds", 1010, 9750*time.Millisecond + ResetMargin},
		{"already past", 990, ResetMargin},
		{"far future is bounded", 1_000_000, MaxResetWait + ResetMargin},
	}
	for _, tt := range tests {
		if got := ResetWait(tt.reset, now); got != tt.want {
			t.Errorf("%s: ResetWait = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{
		`[]`,
		`[{"id":"00u1","status":"ACTIVE"},{"id":"00u2","status":"DEPROVISIONED"}]`,
		" [ {\"id\" : \"a\", \"n\": 1e400, \"groups\": null} ] ",
		`[{"id":"a"},{"id":"`,
		`{"id":"a"}`,
		`[{"id":1}]`,
		`null`,
		`[[],{}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		users, err := decodePage(body)
		if err != nil {
			return
		}
		for _, u := range users {
			if u.id == "" || !json.Valid(u.raw) || u.raw[0] != '{' {
				t.Fatalf("bad element %q (id %q)", u.raw, u.id)
			}
			if !strings.Contains(string(body), string(u.raw)) {
				t.Fatalf("element %q is not verbatim from the body", u.raw)
			}
			if out := withGroups(u.raw, []byte(`[{"id":"g"}]`)); !json.Valid(out) {
				t.Fatalf("withGroups made invalid JSON %q", out)
			}
		}
	})
}
