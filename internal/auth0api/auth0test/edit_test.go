package auth0test_test

import (
	"encoding/json"
	"testing"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
)

// TestEditUsers changes the tenant's users directly: add, edit, delete, with the connection's
// uniqueness rules kept.
func TestEditUsers(t *testing.T) {
	srv := auth0test.New(auth0test.Options{ClientID: clientID, ClientSecret: clientSecret,
		Users: []json.RawMessage{json.RawMessage(`{"user_id":"a","email":"A@example.com"}`), json.RawMessage(`{"user_id":"b","email":"b@example.com"}`)}})
	steps := []struct {
		name    string
		do      func() error
		wantErr bool
	}{
		{"add", func() error { return srv.AddUser(json.RawMessage(`{"user_id":"c","email":"c@example.com"}`)) }, false},
		{"add a taken email", func() error { return srv.AddUser(json.RawMessage(`{"email":"a@EXAMPLE.com"}`)) }, true},
		{"edit", func() error {
			return srv.EditUser(connName, "auth0|a", func(p map[string]any) { p["given_name"] = "Ann"; p["email"] = "Ann@example.com"; p["user_id"] = "x" })
		}, false},
		{"edit to a taken email", func() error {
			return srv.EditUser(connName, "b", func(p map[string]any) { p["email"] = "c@example.com" })
		}, true},
		{"edit an unknown user", func() error { return srv.EditUser(connName, "zz", func(map[string]any) {}) }, true},
		{"delete", func() error {
			if !srv.DeleteUser(connName, "auth0|b") {
				t.Error("b not deleted")
			}
			if srv.DeleteUser(connName, "b") {
				t.Error("b deleted twice")
			}
			return nil
		}, false},
		{"the old email of a is free", func() error { return srv.AddUser(json.RawMessage(`{"user_id":"d","email":"a@example.com"}`)) }, false},
		{"the email of b is free", func() error { return srv.AddUser(json.RawMessage(`{"user_id":"b2","email":"b@example.com"}`)) }, false},
	}
	for _, s := range steps {
		if err := s.do(); (err != nil) != s.wantErr {
			t.Fatalf("%s: error %v, want error %v", s.name, err, s.wantErr)
		}
	}
	got := map[string]string{}
	for _, u := range srv.Users(connName) {
		got[u["user_id"].(string)] = u["email"].(string)
		if u["user_id"] == "auth0|a" && u["given_name"] != "Ann" {
			t.Errorf("a: %v", u)
		}
	}
	want := map[string]string{"auth0|a": "ann@example.com", "auth0|c": "c@example.com", "auth0|d": "a@example.com", "auth0|b2": "b@example.com"}
	if len(got) != len(want) {
		t.Fatalf("users %v, want %v", got, want)
	}
	for id, e := range want {
		if got[id] != e {
			t.Fatalf("users %v, want %v", got, want)
		}
	}
}
