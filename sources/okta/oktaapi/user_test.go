package oktaapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/sources/okta/oktaapi"
	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

func TestUser(t *testing.T) {
	srv := oktatest.NewServer(oktatest.Options{Token: token,
		Users: [][]byte{
			[]byte(`{"id":"00u1","status":"ACTIVE","profile":{"login":"ann@example.com","n":12345678901234567890}}`),
			[]byte(`{"id":"00u2","status":"ACTIVE","groups":[],"profile":{"login":"bob@example.com"}}`),
		},
		Groups: map[string][]byte{"00u1": []byte(`[{"id":"00g1","profile":{"name":"Staff"}}]`)},
	})
	defer srv.Close()
	tests := []struct {
		name, id string
		groups   bool
		want     string
		wantErr  error
	}{
		{"by id, verbatim", "00u1", false, `{"id":"00u1","status":"ACTIVE","profile":{"login":"ann@example.com","n":12345678901234567890}}`, nil},
		{"by login, with groups", "Ann@Example.com", true, `{"id":"00u1","status":"ACTIVE","profile":{"login":"ann@example.com","n":12345678901234567890},"groups":[{"id":"00g1","profile":{"name":"Staff"}}]}`, nil},
		{"unknown", "00uX", false, "", oktaapi.ErrUserNotFound},
		{"a groups key already there", "00u2", true, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newEnv().config(srv.URL)
			cfg.Groups = tt.groups
			got, err := newClient(t, cfg).User(context.Background(), tt.id)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
			case tt.want == "":
				if err == nil {
					t.Fatalf("no error; got %s", got)
				}
			case err != nil || string(got) != tt.want:
				t.Fatalf("got %s, %v\nwant %s", got, err, tt.want)
			}
		})
	}
}

func TestUserByEmail(t *testing.T) {
	srv := oktatest.NewServer(oktatest.Options{Token: token, Users: [][]byte{
		[]byte(`{"id":"00u3","status":"DEPROVISIONED","profile":{"login":"cy.old","email":"cy@example.com"}}`),
		[]byte(`{"id":"00u4","status":"ACTIVE","profile":{"login":"cy.new","email":"Cy@Example.com"}}`),
		[]byte(`{"id":"00u5","status":"DEPROVISIONED","profile":{"login":"dee","email":"dee@example.com"}}`),
	}})
	defer srv.Close()
	c := newClient(t, newEnv().config(srv.URL))
	tests := []struct {
		name, email, wantID string
	}{
		{"the active user is preferred", "CY@example.com", "00u4"},
		{"only a deprovisioned user", "dee@example.com", "00u5"},
		{"nobody", "who@example.com", ""},
		{"a quote cannot be searched", `x" or status eq "ACTIVE`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.UserByEmail(context.Background(), tt.email)
			if tt.wantID == "" {
				if !errors.Is(err, oktaapi.ErrUserNotFound) {
					t.Fatalf("got %s, %v; want ErrUserNotFound", got, err)
				}
				return
			}
			if err != nil || !strings.Contains(string(got), `"id":"`+tt.wantID+`"`) {
				t.Fatalf("got %s, %v; want user %s", got, err, tt.wantID)
			}
		})
	}
}
