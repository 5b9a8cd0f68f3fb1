package oktaapi_test

import (
	"context"
	"errors"
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
