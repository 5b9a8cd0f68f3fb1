package oldcrypt

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/usher-migrate/usher/internal/oracle"
)

// This file cross-checks every function against passlib (Debian python3-passlib) run as an
// independent oracle in one python process: JSON requests on stdin, one JSON answer per line.
// For des_crypt, bsdi_crypt and sha1_crypt the answer holds every passlib backend present —
// "builtin" (passlib's pure-Python code) and "os_crypt" (the system libcrypt, libxcrypt on
// Debian) — and all of them must agree with Go. The test skips when python3 or passlib is
// missing, or fails under USHER_REQUIRE_ORACLES=1.

const passlibScript = `
import sys, json, warnings
warnings.filterwarnings("ignore")
from passlib import hash as H

def backends(handler, secret, config):
    out = {}
    for b in handler.backends:
        if not handler.has_backend(b):
            continue
        handler.set_backend(b)
        try:
            out[b] = handler.genhash(secret, config)
        except Exception as e:
            out[b] = "error: %s" % type(e).__name__
    return out

def one(c):
    alg = c["alg"]
    pw = bytes.fromhex(c.get("pw", ""))
    if alg == "upper":
        out = {}
        for cp in range(0x110000):
            if 0xD800 <= cp < 0xE000:
                continue
            u = chr(cp).upper()
            if u != chr(cp):
                out[str(cp)] = u
        return out
    if alg == "des_crypt":
        return backends(H.des_crypt, pw, c["config"])
    if alg == "bsdi_crypt":
        return backends(H.bsdi_crypt, pw, c["config"])
    if alg == "sha1_crypt":
        return backends(H.sha1_crypt, pw, c["config"])
    if alg == "sun_md5_crypt":
        return {"builtin": H.sun_md5_crypt.genhash(pw, c["config"])}
    if alg == "mysql323":
        return {"builtin": H.mysql323.hash(pw)}
    if alg == "oracle10":
        return {"builtin": H.oracle10.hash(c["password"], user=c["user"])}
    raise ValueError(alg)

for line in sys.stdin:
    c = json.loads(line)
    try:
        out = one(c)
    except Exception as e:
        out = {"builtin": "error: %s" % type(e).__name__}
    print(json.dumps(out))
`

// passlibReq is one request to the oracle; Pw is the password in hex (it may not be UTF-8).
type passlibReq struct {
	Alg      string `json:"alg"`
	Pw       string `json:"pw,omitempty"`
	Config   string `json:"config,omitempty"`
	User     string `json:"user"`
	Password string `json:"password"`
}

// requirePasslib skips (or, under USHER_REQUIRE_ORACLES=1, fails) the test when Debian's python
// with passlib is not available.
func requirePasslib(t *testing.T) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv(oracle.RequireEnv) == "1" {
		fail = t.Fatalf
	}
	if _, err := exec.LookPath("python3"); err != nil {
		fail("python3 not on PATH: %v", err)
		return
	}
	cmd := exec.Command("python3", "-c", "import passlib.hash")
	cmd.Env = append(os.Environ(), "PYENV_VERSION=system")
	if out, err := cmd.CombinedOutput(); err != nil {
		fail("passlib missing (apt-get install -y python3-passlib): %v\n%s", err, out)
	}
}

// runPasslib sends reqs to one python process and returns its answers in order.
func runPasslib(t *testing.T, reqs []passlibReq) []map[string]string {
	t.Helper()
	requirePasslib(t)
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, r := range reqs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("python3", "-c", passlibScript)
	cmd.Env = append(os.Environ(), "PYENV_VERSION=system")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("passlib oracle: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(reqs) {
		t.Fatalf("passlib oracle printed %d lines for %d requests\n%s", len(lines), len(reqs), stderr.String())
	}
	res := make([]map[string]string, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &res[i]); err != nil {
			t.Fatalf("passlib oracle line %d: %v: %s", i, err, l)
		}
	}
	return res
}

// crossCase is a request together with the Go answer ("error" when Go returned an error).
type crossCase struct {
	name string
	req  passlibReq
	got  string
}

// Password material: ASCII, Latin-1, BMP, astral, and characters whose upper case is longer
// (ß, ŉ, ǰ, ΐ, ᾳ, ﬁ) or special (ı, ſ, µ).
var pwPool = []rune("abcxyzABCXYZ019 \t!$\\\"'#:_.-éüÖß€漢字пароль🔑😀\u00ff\U0010FFFDŉǰΐᾳﬁıſµ")

func randPassword(rng *rand.Rand, maxRunes int) []byte {
	if rng.IntN(5) == 0 { // raw 8-bit bytes, usually not UTF-8; never NUL
		b := make([]byte, rng.IntN(maxRunes+1))
		for i := range b {
			b[i] = byte(1 + rng.IntN(255))
		}
		return b
	}
	var b []byte
	for range rng.IntN(maxRunes + 1) {
		b = utf8.AppendRune(b, pwPool[rng.IntN(len(pwPool))])
	}
	return b
}

func randSalt(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = h64[rng.IntN(64)]
	}
	return string(b)
}

func goAnswer(s string, err error) string {
	if err != nil {
		return "error"
	}
	return s
}

func crossCases(t *testing.T) []crossCase {
	rng := rand.New(rand.NewChaCha8([32]byte{'o', 'l', 'd', 'c', 'r', 'y', 'p', 't'}))
	var cs []crossCase
	add := func(name string, req passlibReq, got string) {
		cs = append(cs, crossCase{name: fmt.Sprintf("%s/%d", name, len(cs)), req: req, got: got})
	}
	const n = 20
	for i := range n + 1 {
		pw, salt := randPassword(rng, 12), randSalt(rng, 2)
		if i == n {
			pw = []byte("ab\x00cd") // both must refuse
		}
		got, err := DESCrypt(pw, salt)
		add("des_crypt", passlibReq{Alg: "des_crypt", Pw: hex.EncodeToString(pw), Config: salt}, goAnswer(got, err))
	}
	for i := range n + 1 {
		pw, salt := randPassword(rng, 40), randSalt(rng, 4)
		rounds := 1 + rng.IntN(3000)
		if i == n {
			pw = []byte("abcdefghij\x00")
		}
		got, err := BSDiCrypt(pw, rounds, salt)
		add("bsdi_crypt", passlibReq{Alg: "bsdi_crypt", Pw: hex.EncodeToString(pw), Config: "_" + h64EncodeLE(uint32(rounds), 4) + salt}, goAnswer(got, err))
	}
	for i := range n {
		pw, salt := randPassword(rng, 30), randSalt(rng, 1+rng.IntN(12))
		config := "$md5$"
		if i%2 == 1 {
			config = "$md5,rounds=" + strconv.Itoa(1+rng.IntN(3000)) + "$"
		}
		config += salt
		switch i % 4 { // config strings and full hashes of both salt forms
		case 0:
		case 1:
			config += "$"
		case 2:
			config += "$" + randSalt(rng, 22)
		case 3:
			config += "$$" + randSalt(rng, 22)
		}
		got, err := SunMD5Crypt(pw, config)
		add("sun_md5_crypt", passlibReq{Alg: "sun_md5_crypt", Pw: hex.EncodeToString(pw), Config: config}, goAnswer(got, err))
	}
	for i := range n + 1 {
		pw, salt := randPassword(rng, 40), randSalt(rng, rng.IntN(65))
		rounds := 1 + rng.IntN(3000)
		if i == n {
			pw = []byte("a\x00")
		}
		got, err := SHA1Crypt(pw, rounds, salt)
		add("sha1_crypt", passlibReq{Alg: "sha1_crypt", Pw: hex.EncodeToString(pw), Config: "$sha1$" + strconv.Itoa(rounds) + "$" + salt}, goAnswer(got, err))
	}
	for range n {
		pw := randPassword(rng, 40)
		add("mysql323", passlibReq{Alg: "mysql323", Pw: hex.EncodeToString(pw)}, MySQL323(pw))
	}
	for range n {
		user, pw := string(randPassword(rng, 10)), string(randPassword(rng, 30))
		user, pw = strings.ToValidUTF8(user, "?"), strings.ToValidUTF8(pw, "?") // passlib needs UTF-8
		add("oracle10", passlibReq{Alg: "oracle10", User: user, Password: pw}, Oracle10(user, pw))
	}
	return cs
}

func TestCrossCheckPasslib(t *testing.T) {
	cs := crossCases(t)
	reqs := make([]passlibReq, len(cs))
	for i, c := range cs {
		reqs[i] = c.req
	}
	res := runPasslib(t, reqs)
	seen, goErrors := map[string]int{}, 0
	for i, c := range cs {
		if c.got == "error" {
			goErrors++
		}
		if len(res[i]) == 0 {
			t.Errorf("%s: no answer", c.name)
		}
		for backend, want := range res[i] {
			if strings.HasPrefix(want, "error") {
				want = "error"
			}
			if c.got != want {
				b, _ := json.Marshal(c.req)
				t.Errorf("%s: Go %q, passlib %s %q\n%s", c.name, c.got, backend, want, b)
			}
			seen[c.req.Alg+"/"+backend]++
		}
	}
	if goErrors != 3 { // only the three NUL passwords may fail; anything else is a dead oracle
		t.Errorf("%d Go errors, want 3", goErrors)
	}
	t.Logf("compared %d cases: %v", len(cs), seen)
}

// TestPyUpperMatchesPython checks Upper (Oracle10's upper-casing) against Python's str.upper()
// for every Unicode code point.
func TestPyUpperMatchesPython(t *testing.T) {
	res := runPasslib(t, []passlibReq{{Alg: "upper"}})[0]
	want := make(map[rune]string, len(res))
	for k, v := range res {
		cp, err := strconv.Atoi(k)
		if err != nil {
			t.Fatal(err)
		}
		want[rune(cp)] = v
	}
	bad := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		w, ok := want[r]
		if !ok {
			w = string(r)
		}
		if got := Upper(string(r)); got != w {
			if bad++; bad <= 20 {
				t.Errorf("Upper(%U) = %+q, python %+q", r, got, w)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d code points differ", bad)
	}
	t.Logf("%d code points change under upper()", len(want))
}
