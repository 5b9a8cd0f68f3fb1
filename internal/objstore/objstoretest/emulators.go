// Package objstoretest starts local object-storage emulators for tests: s3rver (S3) and azurite
// (Azure Blob Storage), both npm packages installed beside the other test oracles with
//
//	make oracles   (npm install --prefix testdata/oracle)
//
// or found in the node_modules folder named by USHER_ORACLE_NODE_MODULES. When an emulator is
// missing the calling test is skipped, unless USHER_REQUIRE_ORACLES=1, which fails it.
// Each emulator listens on a port of its own choosing on 127.0.0.1 (port 0), which the helper
// reads from the line it prints once it listens: no fixed ports, no sleeps.
package objstoretest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"gocloud.dev/blob"

	"github.com/usher-migrate/usher/internal/objstore"
)

const (
	requireEnv     = "USHER_REQUIRE_ORACLES"
	nodeModulesEnv = "USHER_ORACLE_NODE_MODULES"
	// AzuriteAccount and AzuriteKey are azurite's well-known development account (public, in
	// Microsoft's documentation): not a secret.
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// nodeModules is the folder holding the emulators' npm packages.
func nodeModules() string {
	if d := os.Getenv(nodeModulesEnv); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "oracle", "node_modules")
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// start runs the npm binary bin with args and returns the first submatch of ready in its
// output (the address it listens on), waiting at most a minute. The process is killed when
// the test ends.
func start(t testing.TB, bin string, ready *regexp.Regexp, args ...string) string {
	t.Helper()
	path := filepath.Join(nodeModules(), ".bin", bin)
	if _, err := os.Stat(path); err != nil {
		unavailable(t, "%s not installed (make oracles): %v", bin, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		unavailable(t, "node not on PATH: %v", err)
	}
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: node may spawn workers
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	addr := make(chan string, 1)
	var seen strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		found := false
		for sc.Scan() {
			if !found {
				seen.WriteString(sc.Text() + "\n")
				if m := ready.FindStringSubmatch(sc.Text()); m != nil {
					found = true
					addr <- m[1]
				}
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("%s exited before listening:\n%s", bin, seen.String())
		}
		return a
	case <-time.After(time.Minute):
		t.Fatalf("%s did not listen within a minute", bin)
	}
	return ""
}

// S3 starts s3rver with the given buckets and returns the URL query that points gocloud's
// s3blob at it (append it to s3://bucket/key?…). The AWS credentials of the test's
// environment are set to s3rver's fixed pair.
func S3(t testing.TB, buckets ...string) string {
	t.Helper()
	args := []string{"-d", t.TempDir(), "-a", "127.0.0.1", "-p", "0"}
	for _, b := range buckets {
		args = append(args, "--configure-bucket", b)
	}
	addr := start(t, "s3rver", regexp.MustCompile(`S3rver listening on (\S+)`), args...)
	t.Setenv("AWS_ACCESS_KEY_ID", "S3RVER")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "S3RVER")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// Checksums only when the API requires them: s3rver predates the SDK's default ones.
	return "endpoint=http://" + addr + "&use_path_style=true&region=us-east-1&disable_https=true&request_checksum_calculation=when_required&response_checksum_validation=when_required"
}

// Azure starts azurite's blob service with the given containers and returns the URL query
// that points gocloud's azureblob at it (azblob://container/key?…). The account of the
// test's environment is azurite's development account.
func Azure(t testing.TB, containers ...string) string {
	t.Helper()
	addr := start(t, "azurite-blob", regexp.MustCompile(`listens on https?://(\S+)`),
		"--blobHost", "127.0.0.1", "--blobPort", "0", "-l", t.TempDir(), "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl")
	t.Setenv("AZURE_STORAGE_ACCOUNT", AzuriteAccount)
	t.Setenv("AZURE_STORAGE_KEY", AzuriteKey)
	t.Setenv("AZURE_STORAGE_SAS_TOKEN", "")
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", "")
	t.Setenv("AZURE_STORAGE_DOMAIN", "")
	query := "protocol=http&localemu=true&domain=" + addr
	ctx := context.Background()
	for _, c := range containers {
		loc, err := objstore.Parse("azblob://" + c + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		b, err := objstore.OpenBucket(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		var cc *container.Client
		if !b.As(&cc) {
			t.Fatal("azureblob bucket is not a *container.Client")
		}
		if _, err := cc.Create(ctx, nil); err != nil {
			t.Fatalf("create container %s: %v", c, err)
		}
		b.Close()
	}
	return query
}

// URL is scheme://bucket/key?query.
func URL(scheme, bucket, key, query string) string {
	return fmt.Sprintf("%s://%s/%s?%s", scheme, bucket, key, query)
}

// Emulator is one object store the tests run against: its URL scheme and the function starting
// its emulator (with these buckets or containers) and returning the URL query that reaches it.
type Emulator struct {
	Scheme string
	Start  func(t testing.TB, buckets ...string) string
}

// Emulators are the stores with a local emulator: S3 (s3rver) and Azure Blob (azurite).
var Emulators = []Emulator{{"s3", S3}, {"azblob", Azure}}

// OpenBucket opens scheme://bkt?query for a test, closed when the test ends; an error fails it.
func OpenBucket(t testing.TB, scheme, query string) *blob.Bucket {
	t.Helper()
	l, err := objstore.Parse(scheme + "://bkt?" + query)
	if err != nil {
		t.Fatal(err)
	}
	b, err := objstore.OpenBucket(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
