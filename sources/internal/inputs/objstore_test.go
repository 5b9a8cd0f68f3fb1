package inputs

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/objstore"
	"github.com/usher-migrate/usher/internal/objstore/objstoretest"
)

// TestExpandBucket: an s3:// prefix is read like a folder (lexical order, extension filter,
// gzip by content, sizes), a named object whatever its extension; names carry no query; a
// second Open reads the same bytes; a missing location is an error naming it.
func TestExpandBucket(t *testing.T) {
	q := objstoretest.S3(t, "bkt")
	loc, err := objstore.Parse("s3://bkt?" + q)
	if err != nil {
		t.Fatal(err)
	}
	b, err := objstore.OpenBucket(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("\xEF\xBB\xBF{\"a\":2}\n"))
	zw.Close()
	ctx := context.Background()
	b.WriteAll(ctx, "in/b.ndjson", []byte("{\"a\":1}\n"), nil)
	b.WriteAll(ctx, "in/a/c.json.gz", gz.Bytes(), nil) // named .gz, but detected by content
	b.WriteAll(ctx, "in/notes.txt", []byte("x"), nil)
	files, err := Expand([]string{"s3://bkt/in?" + q, "s3://bkt/in/notes.txt"}, []string{".json", ".ndjson"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "s3://bkt/in/a/c.json.gz s3://bkt/in/b.ndjson s3://bkt/in/notes.txt" ||
		files[1].Size != 8 || TotalSize(files) != int64(gz.Len()+8+1) {
		t.Fatalf("files %+v", files)
	}
	var c Counter
	for i := 0; i < 2; i++ {
		br, cl, err := Open(files[0], &c)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(br)
		cl.Close()
		if string(got) != "{\"a\":2}\n" {
			t.Fatalf("read %d: %q", i, got)
		}
	}
	if c.Load() != int64(2*gz.Len()) {
		t.Errorf("counted %d bytes, want %d", c.Load(), 2*gz.Len())
	}
	if _, err := Expand([]string{"s3://bkt/nothing?" + q}, []string{".json"}); err == nil ||
		!strings.Contains(err.Error(), "input s3://bkt/nothing: no such object") || strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("missing: %v", err)
	}
}
