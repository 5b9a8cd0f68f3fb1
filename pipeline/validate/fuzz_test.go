package validate

import (
	"reflect"
	"slices"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

// FuzzUser feeds arbitrary bytes through the pipeline's decoder into User: it must never panic,
// must be deterministic, must not modify its input, and its size estimate must equal the real
// encoding's length.
func FuzzUser(f *testing.F) {
	for _, tc := range append(slices.Clone(hashExamples), cases...) {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(benchUser))
	f.Add([]byte(`{"email":"a@b.co","app_metadata":{"a":[[[{"b.c":[{"$":1}]}]]]}}`))
	f.Add([]byte(`{"custom_password_hash":{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-$$$$$"}}}`))
	f.Add([]byte(`{"custom_password_hash":{"algorithm":"argon2","hash":{"value":"$argon2id$v=$m=,t=,p=$$"}}}`))
	f.Add([]byte(`{"custom_password_hash":{"algorithm":"ldap","hash":{"value":"{}"}},"picture":"a://[v"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := pipeline.DecodeObject(data)
		if err != nil {
			return
		}
		before := deepCopy(u)
		if b, err := json.Marshal(u); err == nil {
			if got := encodedSize(u); got != len(b) {
				t.Errorf("encodedSize = %d, json.Marshal gives %d bytes", got, len(b))
			}
			if _, got := check(u, Options{}); got != len(b) {
				t.Errorf("check measured %d bytes, json.Marshal gives %d", got, len(b))
			}
		}
		errs, warns := User(u, Options{})
		errs2, warns2 := User(u, Options{UsernameMin: 0, UsernameMax: 0})
		if !slices.Equal(errs, errs2) || !slices.Equal(warns, warns2) {
			t.Errorf("not deterministic:\n%v\n%v", errs, errs2)
		}
		for _, is := range append(errs, warns...) {
			if is.Code == "" || is.Message == "" {
				t.Errorf("issue without code or message: %+v", is)
			}
		}
		if !reflect.DeepEqual(u, before) {
			t.Errorf("User modified its input")
		}
	})
}
