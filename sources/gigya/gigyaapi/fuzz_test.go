package gigyaapi

import (
	"encoding/json"
	"testing"
)

// FuzzSearchResponse feeds arbitrary bodies to the accounts.search decoder and then to the object
// editing used for passwords. Neither may panic; an accepted page must hold JSON objects only, and
// adding a password to one must give valid JSON.
func FuzzSearchResponse(f *testing.F) {
	for _, seed := range []string{
		`{"results":[{"UID":"a","password":{"hash":"x"}},{"UID":"b"}],"objectsCount":2,"totalCount":9,"nextCursorId":"c","statusCode":200,"errorCode":0,"statusReason":"OK","callId":"1","time":"t"}`,
		`{"results":[],"errorCode":0}`,
		`{"errorCode":301001,"apiDomain":"eu1.gigya.com","location":"https://accounts.eu1.gigya.com/accounts.search"}`,
		`{"errorCode":403048,"errorMessage":"Api rate limit exceeded"}`,
		`{"results":[{ "UID" : "a" , "n":1e400 }],"errorCode":0}`,
		`{"results":[{"UID":"a"`,
		`{"results":[{}],"errorCode":0,"errorCode":1}`,
		`<html>502</html>`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeSearch(body)
		if err != nil || *r.ErrorCode != CodeOK {
			return
		}
		for _, res := range r.Results {
			if len(res) == 0 || res[0] != '{' || !json.Valid(res) {
				t.Fatalf("accepted a result that is not a JSON object: %q", res)
			}
			if _, _, err := getMember(res, "UID"); err != nil {
				continue // members rejects what it cannot place exactly; that is an error, not a panic
			}
			out, err := setMember(res, "password", []byte(`{"hash":"h"}`))
			if err != nil {
				t.Fatalf("setMember failed on an object members accepted: %v: %q", err, res)
			}
			if !json.Valid(out) {
				t.Fatalf("setMember produced invalid JSON: %q -> %q", res, out)
			}
		}
	})
}
