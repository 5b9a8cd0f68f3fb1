package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLazyUsersObeyTheSizeLimit: a user too large for an import file is rejected
// record_too_large when it would be held for lazy migration too (stage and migrate), so the hook
// never serves a multi-megabyte profile.
func TestLazyUsersObeyTheSizeLimit(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.ndjson")
	big := strings.Repeat("x", 600<<10)
	os.WriteFile(in, []byte(`{"email":"big@example.com","password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/","user_metadata":{"bio":"`+big+`"}}
{"email":"ok@example.com","password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"}
`), 0o600)
	code, msg := usher(t, "stage", "--source", "json", "--input", in, "--store", "sqlite:"+filepath.Join(dir, "lazy.db"), "--progress", "never")
	if code != exitRejected || !strings.Contains(msg, "staged 1 users") {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	out := filepath.Join(dir, "run")
	if code, msg := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never"); code != exitRejected {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	rep := readReport(t, out)
	if rep.Counts.Lazy != 1 || rep.Counts.Rejected != 1 || rep.Reasons["record_too_large"] != 1 {
		t.Fatalf("report %+v %v", rep.Counts, rep.Reasons)
	}
}

// TestHookTokenFileMustBeOneLine: a token no script could send (a newline, NUL, a space or a
// non-ASCII byte inside) is refused at start, naming the file.
func TestHookTokenFileMustBeOneLine(t *testing.T) {
	dir := t.TempDir()
	for name, tok := range map[string]string{
		"newline inside": "abcdefghij\nklmnopqrst",
		"NUL inside":     "abcdefghij\x00klmnopqrst",
		"space inside":   "abcdefghij klmnopqrst",
		"non-ASCII":      "abcdefghijklmnopqrsté",
	} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			os.WriteFile(f, []byte(tok), 0o600)
			code, msg := usher(t, "hook", "serve", "--store", "sqlite:"+filepath.Join(dir, "s.db"), "--token-file", f, "--listen", "127.0.0.1:0")
			if code != exitUsage || !strings.Contains(msg, "visible ASCII") || !strings.Contains(msg, f) {
				t.Fatalf("exit %d: %s", code, msg)
			}
		})
	}
}

// TestHookMetricsListen: /metrics on the hook's address needs the token; --metrics-listen serves
// it without one on a separate (private) address.
func TestHookMetricsListen(t *testing.T) {
	dir := t.TempDir()
	token, tokenFile := hookToken(t, dir)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"hook", "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
			"--store", "sqlite:" + filepath.Join(dir, "s.db"), "--token-file", tokenFile}, pw, io.Discard)
		pw.Close()
	}()
	r := bufio.NewReader(pr)
	line1, _ := r.ReadString('\n')
	line2, _ := r.ReadString('\n')
	go io.Copy(io.Discard, r)
	defer func() { cancel(); <-done }()
	hookURL := strings.TrimSpace(strings.TrimPrefix(line1, "usher hook on "))
	metricsURL := strings.TrimSpace(strings.TrimPrefix(line2, "usher hook metrics on "))
	get := func(url, tok string) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(hookURL+"/metrics", ""); s != 401 {
		t.Errorf("hook /metrics without the token: %d", s)
	}
	if s := get(hookURL+"/metrics", token); s != 200 {
		t.Errorf("hook /metrics with the token: %d", s)
	}
	if s := get(metricsURL, ""); s != 200 {
		t.Errorf("--metrics-listen %s: %d", metricsURL, s)
	}
}

// TestSmallFilesMustBeRegular: a named pipe given as a mapping, job, token or secret file is
// refused at once (it used to block the command forever).
func TestSmallFilesMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "users.ndjson")
	os.WriteFile(in, []byte(`{"email":"a@example.com"}`+"\n"), 0o600)
	for _, args := range [][]string{
		{"migrate", "--source", "json", "--input", in, "--out", filepath.Join(dir, "o"), "--mapping", fifo},
		{"run", fifo},
		{"hook", "serve", "--store", "sqlite:" + filepath.Join(dir, "s.db"), "--token-file", fifo, "--listen", "127.0.0.1:0"},
		{"migrate", "--source", "json", "--input", in, "--out", filepath.Join(dir, "o2"), "--tenant", "http://127.0.0.1:1", "--client-id", "x",
			"--client-secret-file", fifo, "--connection", "c"},
	} {
		t.Run(args[0]+" "+args[len(args)-2], func(t *testing.T) {
			code, msg := usher(t, args...)
			if code == exitOK || !strings.Contains(msg, "not a regular file") {
				t.Fatalf("exit %d: %s", code, msg)
			}
		})
	}
}
