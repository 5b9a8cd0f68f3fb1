package auth0

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// writePasswords writes n password-export lines (the published shape) and returns the file.
func writePasswords(tb testing.TB, n int) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "passwords.json")
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"_id":{"$oid":"%024x"},"email_verified":true,"email":"user%d@example.com","passwordHash":"$2b$10$dZ609Yxz7YRqmB984H9VGuGtoDjON2RlJalSEeeusO6aYRX/VLwDy","password_set_date":{"$date":"2023-04-05T10:00:00.000Z"},"tenant":"usher-bench","connection":"Username-Password-Authentication","_tmp_is_unique":true}`+"\n", i, i)
	}
	w.Flush()
	f.Close()
	return p
}

// TestIndexMemory measures the index's memory per line and its lookups (USHER_INDEX_LINES=1000000
// to measure at scale; 20,000 by default).
func TestIndexMemory(t *testing.T) {
	n := 20000
	if s := os.Getenv("USHER_INDEX_LINES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	p := writePasswords(t, n)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	x, err := openIndex(p, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	built := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	perLine := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	start = time.Now()
	for i := 0; i < n; i++ {
		if _, _, ok, err := x.byID(fmt.Sprintf("%024x", i)); !ok || err != nil {
			t.Fatalf("line %d not found: %v", i, err)
		}
	}
	byID := time.Since(start) / time.Duration(n)
	start = time.Now()
	for i := 0; i < n; i += 10 {
		if _, _, ok, _, err := x.byEmail(fmt.Sprintf("USER%d@example.com", i), ""); !ok || err != nil {
			t.Fatalf("e-mail %d not found: %v", i, err)
		}
	}
	byEmail := time.Since(start) / time.Duration(n/10)
	t.Logf("%d lines: built in %v, %.1f bytes/line in memory, %v per id lookup, %v per e-mail lookup", n, built, perLine, byID, byEmail)
	if perLine > 48 {
		t.Errorf("%.1f bytes per line, more than the 40 documented (+ slack)", perLine)
	}
}
