package cognito

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string // the normalised record, or the issues "code field"
	}{
		{name: "ListUsers user (wire)", in: `{"Username":"u","Attributes":[{"Name":"sub","Value":"s"},{"Name":"email_verified","Value":"true"},{"Name":"custom:plan","Value":"gold"},{"Name":"dev:custom:score","Value":"7"}],"UserCreateDate":1682955829.578,"UserLastModifiedDate":1689030181.63,"Enabled":true,"UserStatus":"CONFIRMED"}`,
			want: `{"Attributes":{"email_verified":true,"sub":"s"},"CustomAttributes":{"plan":"gold"},"DeveloperAttributes":{"score":"7"},"Enabled":true,"UserCreateDate":"2023-05-01T15:43:49.578Z","UserLastModifiedDate":"2023-07-10T23:03:01.630Z","UserStatus":"CONFIRMED","Username":"u"}`},
		{name: "AWS CLI v2 timestamps", in: `{"Username":"u","UserCreateDate":"2023-05-01T15:43:49.578000+00:00","UserLastModifiedDate":"2017-07-14T02:40:00+00:00"}`,
			want: `{"UserCreateDate":"2023-05-01T15:43:49.578Z","UserLastModifiedDate":"2017-07-14T02:40:00.000Z","Username":"u"}`},
		{name: "local offset of the CLI's machine", in: `{"Username":"u","UserCreateDate":"2023-05-01T17:43:49.578000+02:00"}`,
			want: `{"UserCreateDate":"2023-05-01T15:43:49.578Z","Username":"u"}`},
		{name: "epoch seconds as integer and as text", in: `{"Username":"u","UserCreateDate":1500000000,"UserLastModifiedDate":"1600000000.5"}`,
			want: `{"UserCreateDate":"2017-07-14T02:40:00.000Z","UserLastModifiedDate":"2020-09-13T12:26:40.500Z","Username":"u"}`},
		{name: "AdminGetUser's UserAttributes", in: `{"Username":"u","UserAttributes":[{"Name":"email","Value":"a@example.com"}]}`,
			want: `{"Attributes":{"email":"a@example.com"},"Username":"u"}`},
		{name: "attributes as an object", in: `{"Username":"u","Attributes":{"email":"a@example.com","phone_number_verified":false,"custom:n":5}}`,
			want: `{"Attributes":{"email":"a@example.com","phone_number_verified":false},"CustomAttributes":{"n":"5"},"Username":"u"}`},
		{name: "a value-less attribute is left out", in: `{"Username":"u","Attributes":[{"Name":"email"},{"Name":"name","Value":null}]}`,
			want: `{"Username":"u"}`},
		{name: "verified flags in any case", in: `{"Username":"u","Attributes":[{"Name":"email_verified","Value":"TRUE"},{"Name":"phone_number_verified","Value":"False"}]}`,
			want: `{"Attributes":{"email_verified":true,"phone_number_verified":false},"Username":"u"}`},
		{name: "identities decoded", in: `{"Username":"google_1","Attributes":[{"Name":"identities","Value":"[{\"userId\":\"1\",\"providerName\":\"Google\",\"primary\":\"true\",\"dateCreated\":\"1749623553646\"}]"}]}`,
			want: `{"Attributes":{"identities":[{"dateCreated":"1749623553646","primary":"true","providerName":"Google","userId":"1"}]},"Username":"google_1"}`},
		{name: "identities that are no JSON array stay text", in: `{"Username":"u","Attributes":[{"Name":"identities","Value":"[{broken"}]}`,
			want: `{"Attributes":{"identities":"[{broken"},"Username":"u"}`},
		{name: "a custom attribute named like a standard one keeps its prefix", in: `{"Username":"u","Attributes":[{"Name":"locale","Value":"en"},{"Name":"custom:locale","Value":"fr"}]}`,
			want: `{"Attributes":{"locale":"en"},"CustomAttributes":{"custom:locale":"fr"},"Username":"u"}`},
		{name: "Enabled as text", in: `{"Username":"u","Enabled":"FALSE"}`, want: `{"Enabled":false,"Username":"u"}`},
		{name: "duplicate attribute", in: `{"Username":"u","Attributes":[{"Name":"email","Value":"a@example.com"},{"Name":"email","Value":"b@example.com"}]}`,
			want: `duplicate_attribute Attributes[1].Name`},
		{name: "both attribute lists", in: `{"Username":"u","Attributes":[],"UserAttributes":[]}`, want: `invalid_type UserAttributes`},
		{name: "attributes not a list", in: `{"Username":"u","Attributes":"email=a"}`, want: `invalid_type Attributes`},
		{name: "attribute not an object", in: `{"Username":"u","Attributes":["email"]}`, want: `invalid_type Attributes[0]`},
		{name: "attribute without a name", in: `{"Username":"u","Attributes":[{"Value":"x"}]}`, want: `invalid_type Attributes[0].Name`},
		{name: "attribute value an array", in: `{"Username":"u","Attributes":[{"Name":"email","Value":["a"]}]}`, want: `invalid_type Attributes[0].Value`},
		{name: "verified flag not a boolean", in: `{"Username":"u","Attributes":[{"Name":"email_verified","Value":"1"}]}`, want: `invalid_type Attributes.email_verified`},
		{name: "timestamp not a time", in: `{"Username":"u","UserCreateDate":"last week"}`, want: `invalid_type UserCreateDate`},
		{name: "timestamp beyond year 9999", in: `{"Username":"u","UserLastModifiedDate":1e20}`, want: `invalid_type UserLastModifiedDate`},
		{name: "timestamp an object", in: `{"Username":"u","UserCreateDate":{}}`, want: `invalid_type UserCreateDate`},
		{name: "Enabled a number", in: `{"Username":"u","Enabled":1}`, want: `invalid_type Enabled`},
		{name: "too many attributes", in: `{"Username":"u","Attributes":[` + strings.Repeat(`{"Name":"x","Value":"y"},`, MaxAttributes) + `{"Name":"z","Value":"y"}]}`,
			want: `invalid_type Attributes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := pipeline.DecodeRecord([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			issues := Normalize(rec)
			var got string
			if len(issues) > 0 {
				var parts []string
				for _, iss := range issues {
					parts = append(parts, iss.Code+" "+iss.Field)
					if iss.Message == "" {
						t.Errorf("issue %v has no message", iss)
					}
				}
				got = strings.Join(parts, "; ")
			} else {
				b, err := pipeline.Marshal(rec)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			if got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestTimestamp(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want string // TimeLayout, or "error"
	}{
		{"wire milliseconds", json.Number("1682955829.578"), "2023-05-01T15:43:49.578Z"},
		{"wire two decimals", json.Number("1689030181.63"), "2023-07-10T23:03:01.630Z"},
		{"whole seconds", json.Number("1500000000"), "2017-07-14T02:40:00.000Z"},
		{"rounded to the millisecond", json.Number("1500000000.0005"), "2017-07-14T02:40:00.001Z"},
		{"exponent", json.Number("1.5e9"), "2017-07-14T02:40:00.000Z"},
		{"before 1970", json.Number("-1.5"), "1969-12-31T23:59:58.500Z"},
		{"isoformat with microseconds", "2023-05-01T15:43:49.578000+00:00", "2023-05-01T15:43:49.578Z"},
		{"isoformat without fraction", "2017-07-14T02:40:00+00:00", "2017-07-14T02:40:00.000Z"},
		{"isoformat in another zone", "2017-07-13T22:40:00-04:00", "2017-07-14T02:40:00.000Z"},
		{"Python str(datetime)", "2017-07-14 02:40:00+00:00", "2017-07-14T02:40:00.000Z"},
		{"Z", "2017-07-14T02:40:00Z", "2017-07-14T02:40:00.000Z"},
		{"no offset", "2017-07-14T02:40:00", "error"},
		{"text", "soon", "error"},
		{"far future", json.Number("253402300800"), "error"},
		{"huge", json.Number("1" + strings.Repeat("0", 100)), "error"},
		{"boolean", true, "error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := Timestamp(tc.in)
			got := "error"
			if err == nil {
				got = ts.UTC().Format(TimeLayout)
			}
			if got != tc.want {
				t.Fatalf("Timestamp(%v) = %s (%v), want %s", tc.in, got, err, tc.want)
			}
		})
	}
	if ts, _ := Timestamp(json.Number("1682955829.578")); !ts.Equal(time.UnixMilli(1682955829578)) {
		t.Errorf("not exact: %v", ts)
	}
}

func TestFromCSV(t *testing.T) {
	cases := []struct {
		name string
		row  map[string]any
		want string
		iss  string
	}{
		{name: "documented columns", row: map[string]any{"cognito:username": "jane", "email": " jane@example.com ", "email_verified": true,
			"phone_number_verified": "FALSE", "cognito:mfa_enabled": "FALSE", "custom:joinedOn": "2019-05-01"},
			want: `{"Attributes":[{"Name":"custom:joinedOn","Value":"2019-05-01"},{"Name":"email","Value":"jane@example.com"},{"Name":"email_verified","Value":"true"},{"Name":"phone_number_verified","Value":"FALSE"}],"Username":"jane","cognito:mfa_enabled":false}`},
		{name: "white space only is no value", row: map[string]any{"cognito:username": "  ", "name": "   "},
			want: `{"Attributes":[]}`},
		{name: "a dotted column name", row: map[string]any{"cognito:username": "u", "custom:a": map[string]any{"b": "x"}},
			want: `{"Attributes":[{"Name":"custom:a.b","Value":"x"}],"Username":"u"}`},
		{name: "mfa not a boolean", row: map[string]any{"cognito:username": "u", "cognito:mfa_enabled": "maybe"}, iss: "invalid_type cognito:mfa_enabled"},
		{name: "an indexed column", row: map[string]any{"cognito:username": "u", "x": []any{"a"}}, iss: "invalid_type x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, iss := fromCSV(tc.row)
			if tc.iss != "" {
				if iss == nil || iss.Code+" "+iss.Field != tc.iss {
					t.Fatalf("issue %v, want %s", iss, tc.iss)
				}
				return
			}
			if iss != nil {
				t.Fatal(iss)
			}
			b, _ := pipeline.Marshal(rec)
			if string(b) != tc.want {
				t.Fatalf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}

func TestObjectify(t *testing.T) {
	cases := []struct {
		name, in, want, issue string
	}{
		{"a list", `{"Username":"u","Attributes":[{"Name":"email","Value":"a@example.com"},{"Name":"custom:password_hash","Value":"$2b$10$x"},{"Name":"name"}]}`,
			`{"Attributes":{"custom:password_hash":"$2b$10$x","email":"a@example.com"},"Username":"u"}`, ""},
		{"AdminGetUser", `{"Username":"u","UserAttributes":[{"Name":"email","Value":"a@example.com"}]}`,
			`{"Attributes":{"email":"a@example.com"},"Username":"u"}`, ""},
		{"no list", `{"Username":"u","Attributes":"x"}`, `{"Attributes":"x","Username":"u"}`, ""},
		{"both lists are left to Normalize", `{"Username":"u","Attributes":{},"UserAttributes":[]}`, `{"Attributes":{},"UserAttributes":[],"Username":"u"}`, ""},
		{"a name twice", `{"Username":"u","Attributes":[{"Name":"email","Value":"a"},{"Name":"email","Value":"b"}]}`,
			`{"Attributes":{"email":"a","email (Attributes[1])":"b"},"Username":"u"}`, "duplicate_attribute Attributes[1].Name"},
		{"entries of the wrong shape", `{"Username":"u","Attributes":["x",{"Value":"y"}]}`,
			`{"Attributes":{"[0]":"x","[1]":"y"},"Username":"u"}`, "invalid_type Attributes[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := pipeline.DecodeRecord([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			rec = Objectify(rec)
			issues := pipeline.FlaggedIssues(rec)
			delete(rec, pipeline.FlagKey)
			b, _ := pipeline.Marshal(rec)
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
			got := ""
			if len(issues) > 0 {
				got = issues[0].Code + " " + issues[0].Field
			}
			if got != tc.issue {
				t.Errorf("issue %q, want %q", got, tc.issue)
			}
		})
	}
	// What Objectify made, Normalize reads as the list.
	a, _ := pipeline.DecodeRecord([]byte(`{"Username":"u","Attributes":[{"Name":"email_verified","Value":"true"},{"Name":"custom:x","Value":"1"}]}`))
	b, _ := pipeline.DecodeRecord([]byte(`{"Username":"u","Attributes":[{"Name":"email_verified","Value":"true"},{"Name":"custom:x","Value":"1"}]}`))
	Normalize(a)
	Normalize(Objectify(b))
	ja, _ := pipeline.Marshal(a)
	jb, _ := pipeline.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("list %s, object %s", ja, jb)
	}
}
