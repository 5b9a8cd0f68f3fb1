package reconcile

import "testing"

func TestEqual(t *testing.T) {
	cases := []struct {
		a, b string
		fold bool
		want bool
	}{
		{`1`, `1.0`, false, true},
		{`1`, `2`, false, false},
		{`"A@x.io"`, `"a@x.io"`, true, true},
		{`"A@x.io"`, `"a@x.io"`, false, false},
		{`{"a":[1,{"b":true}]}`, `{"a":[1.00,{"b":true}]}`, false, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false, false},
		{`null`, `null`, false, true},
		{`false`, `null`, false, false},
		{`"1"`, `1`, false, false},
	}
	for _, tc := range cases {
		a, _ := decode([]byte(tc.a))
		b, _ := decode([]byte(tc.b))
		if got := equal(a, b, tc.fold); got != tc.want {
			t.Errorf("equal(%s, %s, %v) = %v", tc.a, tc.b, tc.fold, got)
		}
	}
	if key("auth0|x", "A@b") != "id:x" || key("", " A@B ") != "email:a@b" || key("", "") != "" {
		t.Error("key")
	}
}
