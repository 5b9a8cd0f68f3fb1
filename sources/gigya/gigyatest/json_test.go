package gigyatest

import (
	"encoding/json"
	"testing"
)

func TestRemoveMember(t *testing.T) {
	tests := []struct {
		name, obj, want string
	}{
		{name: "last member", obj: `{"UID":"a","password":{"hash":"h"}}`, want: `{"UID":"a"}`},
		{name: "first member", obj: `{"password":{"hash":"h"},"UID":"a"}`, want: `{"UID":"a"}`},
		{name: "middle member", obj: `{"a":1,"password":2,"b":3}`, want: `{"a":1,"b":3}`},
		{name: "only member", obj: `{ "password" : 1 }`, want: `{  }`},
		{name: "absent", obj: `{"UID":"a","data":{"password":1}}`, want: `{"UID":"a","data":{"password":1}}`},
		{name: "duplicates", obj: `{"password":1,"a":2,"password":3}`, want: `{"a":2}`},
		{name: "spacing kept", obj: "{\n  \"a\": 1,\n  \"password\": 2\n}", want: "{\n  \"a\": 1\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := removeMember([]byte(tt.obj), "password")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want || !json.Valid(got) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
