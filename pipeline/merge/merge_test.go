package merge

import (
	"reflect"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// decode turns a JSON text into the decoded form the pipeline holds.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := pipeline.DecodeObject([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

func enc(t *testing.T, v any) string {
	t.Helper()
	b, err := pipeline.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMerge(t *testing.T) {
	bcryptA := `"$2b$10$abcdefghijklmnopqrstuu5Lq0xvJ9mBnC3Ap1ZKxQ5Xf3jH3xXh2"`
	bcryptB := `"$2b$10$zyxwvutsrqponmlkjihgfeRHw0eB.7Q1mE6qC1q7Hq8QbYmXn0a7i"`
	imp, lazy := pipeline.Imported, pipeline.Lazy
	type acct struct {
		out    pipeline.Outcome
		reason string
		user   string
	}
	cases := []struct {
		name     string
		accounts []acct
		// want are JSON texts of the merged user's top-level keys that must be exactly so;
		// absent names keys that must not be there.
		want       map[string]string
		absent     []string
		outcome    pipeline.Outcome
		lazyReason string
	}{
		{
			name:     "one account is returned as it is",
			accounts: []acct{{imp, "", `{"email":"a@x.test","user_id":"1"}`}},
			want:     map[string]string{"email": `"a@x.test"`, "user_id": `"1"`},
			absent:   []string{"app_metadata"},
			outcome:  imp,
		},
		{
			name: "the same password in two directories: imported with it, groups joined, each account listed",
			accounts: []acct{
				{imp, "", `{"email":"Jl@x.test","user_id":"A1","username":"jl","email_verified":false,"password_hash":` + bcryptA + `,
				  "user_metadata":{"rank":"Captain"},"app_metadata":{"sp":{"directory":"Officers","groups":["officers"]}}}`},
				{imp, "", `{"email":"jl@x.test","user_id":"B2","username":"jlp","email_verified":true,"given_name":"Jean-Luc","password_hash":` + bcryptA + `,
				  "user_metadata":{"rank":"Admiral","ship":"Enterprise"},"app_metadata":{"sp":{"directory":"Crew","groups":["officers","bridge"]}}}`},
			},
			want: map[string]string{
				"email": `"Jl@x.test"`, "user_id": `"A1"`, "username": `"jl"`, "given_name": `"Jean-Luc"`,
				"email_verified": `true`, "password_hash": bcryptA,
				"user_metadata": `{"rank":"Captain","ship":"Enterprise"}`,
				"app_metadata": `{"sp":{"directory":"Officers","groups":["officers","bridge"],"merged_accounts":[` +
					`{"app_metadata":{"sp":{"directory":"Officers","groups":["officers"]}},"email":"Jl@x.test","position":"a.json:1","user_id":"A1","user_metadata":{"rank":"Captain"},"username":"jl"},` +
					`{"app_metadata":{"sp":{"directory":"Crew","groups":["officers","bridge"]}},"email":"jl@x.test","position":"b.json:1","user_id":"B2","user_metadata":{"rank":"Admiral","ship":"Enterprise"},"username":"jlp"}]}}`,
			},
			absent:  []string{pipeline.MergedPasswordsKey},
			outcome: imp,
		},
		{
			name: "different passwords: lazy, every password kept for the hook",
			accounts: []acct{
				{imp, "", `{"email":"a@x.test","user_id":"A","password_hash":` + bcryptA + `}`},
				{lazy, "unsupported_hash", `{"email":"a@x.test","user_id":"B","legacy_password":{"kind":"hash","value":"$1$salt$hash"}}`},
				{imp, "", `{"email":"a@x.test","user_id":"C","password_hash":` + bcryptB + `}`},
			},
			want:       map[string]string{pipeline.MergedPasswordsKey: `[{"password_hash":` + bcryptA + `},{"legacy_password":{"kind":"hash","value":"$1$salt$hash"}},{"password_hash":` + bcryptB + `}]`},
			absent:     []string{"password_hash", pipeline.LegacyPasswordKey},
			outcome:    lazy,
			lazyReason: LazyReason,
		},
		{
			name: "only the second account has a password: imported with it",
			accounts: []acct{
				{imp, "", `{"email":"a@x.test","user_id":"A"}`},
				{imp, "", `{"email":"a@x.test","user_id":"B","custom_password_hash":{"algorithm":"md5","hash":{"value":"x","encoding":"hex"}}}`},
			},
			want:    map[string]string{"user_id": `"A"`, "custom_password_hash": `{"algorithm":"md5","hash":{"encoding":"hex","value":"x"}}`},
			outcome: imp,
		},
		{
			name: "the one password is one Auth0 cannot import: lazy for its reason",
			accounts: []acct{
				{lazy, "no_password", `{"email":"a@x.test","user_id":"A"}`},
				{lazy, "unsupported_hash", `{"email":"a@x.test","user_id":"B","legacy_password":{"kind":"hash","value":"$1$s$h"}}`},
			},
			want:       map[string]string{pipeline.LegacyPasswordKey: `{"kind":"hash","value":"$1$s$h"}`},
			outcome:    lazy,
			lazyReason: "unsupported_hash",
		},
		{
			name: "nobody has a password and one account was held for lazy: lazy",
			accounts: []acct{
				{imp, "", `{"email":"a@x.test","user_id":"A"}`},
				{lazy, "no_password", `{"email":"a@x.test","user_id":"B"}`},
			},
			outcome:    lazy,
			lazyReason: "no_password",
		},
		{
			name: "blocked only when every account is",
			accounts: []acct{
				{imp, "", `{"email":"a@x.test","blocked":true}`},
				{imp, "", `{"email":"a@x.test","blocked":false}`},
			},
			want:    map[string]string{"blocked": `false`},
			outcome: imp,
		},
		{
			name: "every account blocked",
			accounts: []acct{
				{imp, "", `{"email":"a@x.test","blocked":true}`},
				{imp, "", `{"email":"a@x.test","blocked":true}`},
			},
			want:    map[string]string{"blocked": `true`},
			outcome: imp,
		},
		{
			name: "an account without blocked is not blocked, so the person is not",
			accounts: []acct{
				{imp, "", `{"email":"a@x.test","blocked":true}`},
				{imp, "", `{"email":"a@x.test"}`},
			},
			want:    map[string]string{"blocked": `false`},
			outcome: imp,
		},
		{
			name: "the phone number keeps its own verified flag",
			accounts: []acct{
				{imp, "", `{"email":"a@x.test","phone_verified":true}`},
				{imp, "", `{"email":"a@x.test","phone_number":"+15555550100","phone_verified":false}`},
			},
			want:    map[string]string{"phone_number": `"+15555550100"`, "phone_verified": `false`},
			outcome: imp,
		},
		{
			name: "usher stage: every account lazy, one password: lazy",
			accounts: []acct{
				{lazy, "staged", `{"email":"a@x.test","password_hash":` + bcryptA + `}`},
				{lazy, "staged", `{"email":"a@x.test","password_hash":` + bcryptA + `}`},
			},
			want:       map[string]string{"password_hash": bcryptA},
			outcome:    lazy,
			lazyReason: "staged",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var accounts []Account
			for i, a := range tc.accounts {
				accounts = append(accounts, Account{Seq: int64(i + 1), Pos: string(rune('a'+i)) + ".json:1", Outcome: a.out, LazyReason: a.reason, User: decode(t, a.user)})
			}
			got := Merge("sp", accounts)
			if got.Outcome != tc.outcome || got.LazyReason != tc.lazyReason {
				t.Errorf("outcome %v %q, want %v %q", got.Outcome, got.LazyReason, tc.outcome, tc.lazyReason)
			}
			for k, want := range tc.want {
				v, ok := got.User[k]
				if !ok {
					t.Errorf("%s missing; user %s", k, enc(t, got.User))
					continue
				}
				if g := enc(t, v); !reflect.DeepEqual(decodeAny(t, g), decodeAny(t, want)) {
					t.Errorf("%s = %s\nwant %s", k, g, want)
				}
			}
			for _, k := range tc.absent {
				if _, ok := got.User[k]; ok {
					t.Errorf("%s present: %s", k, enc(t, got.User))
				}
			}
		})
	}
}

func decodeAny(t *testing.T, s string) any {
	t.Helper()
	v, err := pipeline.DecodeValue([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// TestMergeKeepsInputs checks that merging does not change the accounts it was given (their
// decoded maps may be shared).
func TestMergeKeepsInputs(t *testing.T) {
	for _, second := range []string{
		`{"email":"a@x.test","user_metadata":{"j":2},"app_metadata":{"sp":{"groups":["g2"]}}}`,
		`{"email":"a@x.test"}`, // the primary's maps are the only ones
	} {
		a := decode(t, `{"email":"a@x.test","user_metadata":{"k":1},"app_metadata":{"sp":{"groups":["g1"]}}}`)
		b := decode(t, second)
		before := enc(t, a) + enc(t, b)
		m := Merge("sp", []Account{{Seq: 1, User: a, Outcome: pipeline.Imported}, {Seq: 2, User: b, Outcome: pipeline.Imported}})
		if after := enc(t, a) + enc(t, b); after != before {
			t.Errorf("inputs changed:\n%s\n%s", before, after)
		}
		enc(t, m.User) // no cycle
	}
}
