package gigyaapi

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeSearch(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantErr    string
		wantCode   int
		wantResult []string
		wantNext   string
	}{
		{
			name:       "page with cursor",
			body:       `{"results":[{"UID":"a","n":1.50} , {"UID":"b","big":12345678901234567890}],"objectsCount":2,"totalCount":5,"nextCursorId":"c1","statusCode":200,"errorCode":0,"statusReason":"OK","callId":"x","time":"2025-06-09T00:00:00.000Z"}`,
			wantResult: []string{`{"UID":"a","n":1.50}`, `{"UID":"b","big":12345678901234567890}`},
			wantNext:   "c1",
		},
		{name: "last page", body: `{"results":[],"errorCode":0}`},
		{name: "error answer", body: `{"errorCode":403048,"errorMessage":"Api rate limit exceeded","statusCode":403}`, wantCode: 403048},
		{name: "error answer with odd results", body: `{"errorCode":500001,"results":[1]}`, wantCode: 500001},
		{name: "no errorCode", body: `{"results":[]}`, wantErr: "no errorCode"},
		{name: "truncated", body: `{"results":[{"UID":"a"`, wantErr: "unexpected end"},
		{name: "not JSON", body: `<html>Bad Gateway</html>`, wantErr: "invalid character"},
		{name: "result not an object", body: `{"errorCode":0,"results":[{"UID":"a"},"b"]}`, wantErr: "result 1"},
		{name: "errorCode not a number", body: `{"errorCode":"0"}`, wantErr: "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := decodeSearch([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *r.ErrorCode != tt.wantCode {
				t.Fatalf("errorCode %d, want %d", *r.ErrorCode, tt.wantCode)
			}
			if tt.wantCode != 0 {
				return
			}
			if len(r.Results) != len(tt.wantResult) || r.NextCursorID != tt.wantNext {
				t.Fatalf("got %d results, next %q", len(r.Results), r.NextCursorID)
			}
			for i, want := range tt.wantResult {
				if string(r.Results[i]) != want {
					t.Errorf("result %d = %s, want %s (verbatim)", i, r.Results[i], want)
				}
			}
		})
	}
}

func TestDecodeAccountInfo(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode int
		wantPW   string
	}{
		{name: "with password", body: `{"callId":"1","errorCode":0,"UID":"a","password":{"hash":"x","hashSettings":{"rounds":10000}}}`, wantPW: `{"hash":"x","hashSettings":{"rounds":10000}}`},
		{name: "social only", body: `{"errorCode":0,"UID":"a","profile":{"password":"nested, not ours"}}`},
		{name: "key match is exact", body: `{"errorCode":0,"Password":{"hash":"x"}}`},
		{name: "unknown user", body: `{"errorCode":403047,"errorMessage":"Unknown user"}`, wantCode: 403047},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, pw, err := decodeAccountInfo([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if *env.ErrorCode != tt.wantCode || string(pw) != tt.wantPW {
				t.Fatalf("errorCode %d, password %s; want %d, %s", *env.ErrorCode, pw, tt.wantCode, tt.wantPW)
			}
		})
	}
}

func TestSetMember(t *testing.T) {
	const pw = `{"hash":"h"}`
	tests := []struct {
		name, obj, want, wantErr string
	}{
		{name: "append", obj: `{"UID":"a","n":1.0}`, want: `{"UID":"a","n":1.0,"password":{"hash":"h"}}`},
		{name: "append keeps spacing", obj: "{ \"UID\" : \"a\" \n}", want: "{ \"UID\" : \"a\",\"password\":{\"hash\":\"h\"} \n}"},
		{name: "empty object", obj: `{}`, want: `{"password":{"hash":"h"}}`},
		{name: "empty object with space", obj: ` { } `, want: ` {"password":{"hash":"h"} } `},
		{name: "replace in place", obj: `{"password":{"created":"x"},"UID":"a"}`, want: `{"password":{"hash":"h"},"UID":"a"}`},
		{name: "replace null", obj: `{"UID":"a","password":null}`, want: `{"UID":"a","password":{"hash":"h"}}`},
		{name: "replace duplicates", obj: `{"password":1,"a":2,"password":3}`, want: `{"password":{"hash":"h"},"a":2,"password":{"hash":"h"}}`},
		{name: "nested key untouched", obj: `{"data":{"password":1}}`, want: `{"data":{"password":1},"password":{"hash":"h"}}`},
		{name: "escaped key", obj: `{"pass\u0077ord":1}`, want: `{"pass\u0077ord":{"hash":"h"}}`},
		{name: "not an object", obj: `[1]`, wantErr: "not a JSON object"},
		{name: "truncated", obj: `{"UID":"a"`, wantErr: "EOF"},
		{name: "trailing data", obj: `{"UID":"a"} x`, wantErr: "after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := setMember([]byte(tt.obj), "password", []byte(pw))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
		})
	}
}
