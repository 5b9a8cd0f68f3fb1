package cognito

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// FuzzUser decodes one record as a list-users file line (Objectify, as Decode does, or not, as the
// hook's live accounts) and maps it with the cognito mapping (Normalize: attribute lists,
// timestamps, identities): it must never panic, and a record it does
// not reject must map to a user or to issues with a code.
func FuzzUser(f *testing.F) {
	for _, s := range []string{
		`{"Username":"u","Attributes":[{"Name":"email","Value":"a@example.com"},{"Name":"email_verified","Value":"true"}],"UserCreateDate":1682955829.578,"Enabled":true,"UserStatus":"CONFIRMED"}`,
		`{"Username":"g","Attributes":[{"Name":"identities","Value":"[{\"providerName\":\"Google\"}]"}],"UserStatus":"EXTERNAL_PROVIDER"}`,
		`{"Username":"u","UserAttributes":{"custom:x":"1"},"UserLastModifiedDate":"2017-07-14T02:40:00+00:00"}`,
		`{"Username":"u","Attributes":[{"Name":"email","Value":"a"},{"Name":"email","Value":"b"}]}`,
		`{"Username":"u","UserCreateDate":-1e308}`,
	} {
		f.Add([]byte(s))
	}
	m, err := NewMapping(pipeline.MappingConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := pipeline.DecodeRecord(data)
		if err != nil || pipeline.FlaggedIssues(rec) != nil {
			return
		}
		if len(data)%2 == 0 { // half the time as Decode hands it on, half as the hook's accounts
			if rec = Objectify(rec); pipeline.FlaggedIssues(rec) != nil {
				return
			}
		}
		n, issues := m.Map(rec)
		if n == nil && len(issues) == 0 {
			t.Fatal("neither a user nor issues")
		}
		for _, iss := range issues {
			if iss.Code == "" {
				t.Fatalf("issue without a code: %v", iss)
			}
		}
	})
}

// FuzzTimestamp reads any text as a timestamp: it must never panic, and a time it accepts lies
// between the years 1 and 9999.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{"1682955829.578", "2023-05-01T15:43:49.578000+00:00", "1e9", "-0.0005", "2017-07-14 02:40:00+00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []any{s, jsonNumber(s)} {
			ts, err := Timestamp(v)
			if err == nil && (ts.Year() < 1 || ts.Year() > 9999) {
				t.Fatalf("%q: accepted %v", s, ts)
			}
		}
	})
}

// FuzzImportCSV reads any rows under the user-import CSV header (backslash escapes, BOM, quotes)
// and maps them: reading must never fail on a row, and every row ends as a user or a reject.
func FuzzImportCSV(f *testing.F) {
	for _, s := range []string{
		"jane,Jane Doe,Jane,Doe,,,,,,,jane@example.com,TRUE,,02/01/1985,,,+15555550123,TRUE,123 Any Street\\, Apt 4,,FALSE\n",
		"x,\"quoted, value\",,,,,,,,,x@example.com,true,,,,,,,,,true\n",
		"a\\,b\\,c\\\n,,\n\"\n",
	} {
		f.Add(s)
	}
	m, err := NewMapping(pipeline.MappingConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rows string) {
		path := filepath.Join(t.TempDir(), "users.csv")
		if err := os.WriteFile(path, []byte(csvHeader+"\n"+rows), 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := NewFiles([]string{path}, 4096)
		if err != nil {
			t.Fatal(err)
		}
		err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
			if raw.Err != nil {
				return nil
			}
			rec, err := src.Decode(&raw)
			if err != nil || pipeline.FlaggedIssues(rec) != nil {
				return nil
			}
			if n, issues := m.Map(rec); n == nil && len(issues) == 0 {
				t.Fatal("neither a user nor issues")
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read: %v", err)
		}
	})
}

// jsonNumber is s as a JSON number value (as DecodeRecord gives numbers).
func jsonNumber(s string) any { return json.Number(s) }
