package bcryptx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// phpCrypt reads "hexpassword setting" lines and prints crypt(password, setting) per line.
// PHP's crypt() uses its bundled copy of Openwall's crypt_blowfish for "$2x$".
const phpCrypt = `while (($l = fgets(STDIN)) !== false) {
	[$p, $s] = explode(" ", rtrim($l, "\n"));
	echo crypt(hex2bin($p), $s), "\n";
}`

// TestPHPCrossCheck compares Compare2x with PHP's crypt() on random passwords (bytes 1..255,
// lengths 0..100, so above the 72-byte truncation too) and random salts. Skipped when php is
// not installed (Debian: apt-get install php-cli) or with -short.
func TestPHPCrossCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php not installed")
	}
	enc := base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)
	rng := rand.New(rand.NewPCG(2011, 2483))
	const n = 150
	pws := make([][]byte, n)
	var in bytes.Buffer
	for i := range pws {
		pw := make([]byte, rng.IntN(101))
		for j := range pw {
			switch rng.IntN(4) {
			case 0:
				pw[j] = byte(0x80 + rng.IntN(0x80)) // high byte
			case 1:
				pw[j] = 0xff
			default:
				pw[j] = byte(1 + rng.IntN(0xff))
			}
		}
		pws[i] = pw
		var salt [16]byte
		for j := range salt {
			salt[j] = byte(rng.Uint32())
		}
		fmt.Fprintf(&in, "%s $2x$04$%s\n", hex.EncodeToString(pw), enc.EncodeToString(salt[:]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, php, "-r", phpCrypt)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v", err)
	}
	var hashes []string
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		hashes = append(hashes, sc.Text())
	}
	if len(hashes) != n {
		t.Fatalf("php returned %d hashes, want %d: %.200q", len(hashes), n, out)
	}
	for i, h := range hashes {
		pw := pws[i]
		if !strings.HasPrefix(h, "$2x$04$") || len(h) != 60 {
			t.Fatalf("php hash %d = %q", i, h)
		}
		wantErr(t, fmt.Sprintf("Compare2x(php %q, %x)", h, pw), Compare2x(h, pw), nil)
		wantErr(t, fmt.Sprintf("Compare2x(php %q, wrong)", h), Compare2x(h, wrongPassword(t, pw)), bcrypt.ErrMismatchedHashAndPassword)
	}
}
