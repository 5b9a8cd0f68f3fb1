package auth0api_test

import (
	"testing"

	"github.com/usher-migrate/usher/internal/auth0api"
)

// FuzzDecodeJobErrors: the errors-endpoint decoder never panics, and a success gives at most
// one of the two shapes.
func FuzzDecodeJobErrors(f *testing.F) {
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `[null]`, `[1]`, `"x"`, `[{}]`,
		`[{"user":{"email":"a@b.c","n":12345678901234567890},"errors":[{"code":"CONFLICT","message":"m","path":"email"}]}]`,
		`[{"user":"x","errors":{"code":1}}]`,
		`[{"user":null,"errors":["plain",null,{"code":["x"],"path":{"a":1}}]}]`,
		`{"id":"job_1","status":"failed","status_details":"d","summary":{"total":"3"},"percentage_done":1e999}`,
		`{"id":1,"upsert":"maybe"}`,
		`[{"user":{"a":1e-400},"errors":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		errs, job, err := auth0api.DecodeJobErrors(b)
		if err != nil {
			if errs != nil || job != nil {
				t.Fatalf("error %v with results", err)
			}
			return
		}
		if errs != nil && job != nil {
			t.Fatal("both shapes")
		}
	})
}
