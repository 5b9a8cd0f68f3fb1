package jsonfile

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// benchUsers is n Auth0-export-shaped users, one per line.
func benchUsers(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"user_id":"auth0|%08d","email":"user%d@example.com","email_verified":true,"given_name":"Ann","family_name":"Smith","created_at":"2020-01-02T03:04:05.000Z","logins_count":%d,"user_metadata":{"plan":"pro","locale":"en","tags":["a","b"]},"identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"%08d","isSocial":false}]}`, i, i, i%97, i)
	}
	return lines
}

func benchRead(b *testing.B, content string) {
	p := write(b, b.TempDir(), "in.json", content)
	src, err := New(pipeline.SourceConfig{Inputs: []string{p}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		if err := src.Read(context.Background(), func(pipeline.RawRecord) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFrameNDJSON(b *testing.B) { benchRead(b, strings.Join(benchUsers(10000), "\n")+"\n") }

func BenchmarkFrameArray(b *testing.B) {
	benchRead(b, "[\n"+strings.Join(benchUsers(10000), ",\n")+"\n]\n")
}

func BenchmarkFramePretty(b *testing.B) {
	users := benchUsers(10000)
	for i, u := range users {
		users[i] = strings.ReplaceAll(strings.ReplaceAll(u, `,"`, ",\n  \""), "{", "{\n  ")
	}
	benchRead(b, strings.Join(users, "\n"))
}

func BenchmarkDecode(b *testing.B) {
	p := filepath.Join(b.TempDir(), "in.json")
	_ = p
	src := &Source{}
	raw := pipeline.RawRecord{Data: []byte(benchUsers(1)[0])}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Decode(&raw); err != nil {
			b.Fatal(err)
		}
	}
}
