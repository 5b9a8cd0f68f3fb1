package oracle

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// hashScriptRel is the independent Python verifier of Auth0 custom_password_hash objects.
const hashScriptRel = "testdata/oracle/auth0hash-verify.py"

// HashCase is one password check for the Python hash oracle: the password as typed and an Auth0
// custom_password_hash (any value that encodes to that JSON object).
type HashCase struct {
	Password string `json:"password"`
	Hash     any    `json:"custom_password_hash"`
}

// pythonEnv runs Debian's python, whose python3-* packages hold the oracle's modules (python3
// on PATH may be a pyenv shim without them).
func pythonEnv() []string { return append(os.Environ(), "PYENV_VERSION=system") }

// RequirePython skips the test when Debian's python or the oracle's modules (python3-bcrypt,
// python3-passlib, python3-argon2) are missing, or fails it when USHER_REQUIRE_ORACLES=1.
func RequirePython(t testing.TB) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv(RequireEnv) == "1" {
		fail = t.Fatalf
	}
	if _, err := exec.LookPath("python3"); err != nil {
		fail("python3 not on PATH: %v", err)
		return
	}
	cmd := exec.Command("python3", "-c", "import bcrypt, argon2.low_level, passlib.crypto._md4, hashlib; hashlib.scrypt")
	cmd.Env = pythonEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		fail("python oracle modules missing (apt-get install -y python3-bcrypt python3-passlib python3-argon2): %v\n%s", err, out)
	}
}

// CheckHashes runs the Python verifier over cases and returns its answer for each, in order:
// "ok" (the password matches), "fail" (it does not) or "error <reason>" (unusable hash). It
// calls RequirePython first.
func CheckHashes(t testing.TB, cases []HashCase) []string {
	t.Helper()
	RequirePython(t)
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("oracle: cannot locate the repository")
	}
	script := filepath.Join(filepath.Dir(file), "..", "..", filepath.FromSlash(hashScriptRel))
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, c := range cases {
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("python3", script)
	cmd.Env = pythonEnv()
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hash oracle: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("hash oracle printed %d lines for %d cases\n%s", len(lines), len(cases), stderr.String())
	}
	return lines
}

// ExpectHashes runs CheckHashes and fails the test for every case whose answer differs from
// want[i] ("ok" or "fail"), naming it by names[i]. It also fails when the oracle answered only
// one way, which would mean it checks nothing. It returns the numbers of "ok" and "fail".
func ExpectHashes(t testing.TB, cases []HashCase, names, want []string) (okN, failN int) {
	t.Helper()
	got := CheckHashes(t, cases)
	for i := range got {
		if got[i] != want[i] {
			b, _ := json.Marshal(cases[i])
			t.Errorf("%s: oracle %q, want %q\n%s", names[i], got[i], want[i], b)
		}
		switch got[i] {
		case "ok":
			okN++
		case "fail":
			failN++
		}
	}
	if okN == 0 || failN == 0 {
		t.Fatalf("oracle not live: %d ok, %d fail", okN, failN)
	}
	return okN, failN
}
