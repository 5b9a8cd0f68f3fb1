// Package oracle checks Auth0 bulk-import files against an independent oracle: the JSON Schema
// in testdata/oracle/auth0-import-user.schema.json, evaluated by ajv through the Node script
// testdata/oracle/validate-import.mjs. The schema was written from the Auth0 research notes,
// not from usher's own validator, so tests can use it to cross-check usher's output.
//
// The oracle needs node on PATH and the npm modules installed with
//
//	npm install --prefix testdata/oracle
//
// (or a node_modules folder named by USHER_ORACLE_NODE_MODULES). When they are missing the
// helpers skip the calling test, unless USHER_REQUIRE_ORACLES=1, in which case they fail it.
package oracle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing oracle into a test failure
// instead of a skip when set to "1". CI sets it.
const RequireEnv = "USHER_REQUIRE_ORACLES"

// NodeModulesEnv optionally names the node_modules folder holding ajv and ajv-formats.
const NodeModulesEnv = "USHER_ORACLE_NODE_MODULES"

// scriptRel is the validator's path relative to the module root.
const scriptRel = "testdata/oracle/validate-import.mjs"

// exitUnavailable is the script's exit status when ajv or ajv-formats cannot be loaded.
const exitUnavailable = 3

// runTimeout bounds a single oracle run.
const runTimeout = 5 * time.Minute

// ErrUnavailable reports that the oracle cannot run here: node is not on PATH or the ajv
// modules are not installed. Errors returned by Run wrap it in that case.
var ErrUnavailable = errors.New("oracle unavailable")

// Result is the outcome of one run of the validator script.
type Result struct {
	// ExitCode is the script's exit status: 0 when every file and user is valid, 1 otherwise.
	ExitCode int
	// Output is the script's combined stdout and stderr: one line per invalid user or
	// file-level problem, then "checked N users in M files, K invalid".
	Output string
}

// OK reports whether the oracle accepted every file.
func (r Result) OK() bool { return r.ExitCode == 0 }

// ScriptPath returns the absolute path of validate-import.mjs. It is located relative to this
// source file, falling back to a search upwards from the working directory for the module root
// (for binaries built with -trimpath).
func ScriptPath() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		p := filepath.Join(filepath.Dir(file), "..", "..", filepath.FromSlash(scriptRel))
		if _, err := os.Stat(p); err == nil {
			return filepath.Clean(p), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, filepath.FromSlash(scriptRel))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("oracle: cannot find %s", scriptRel)
}

// Run runs the validator script over files and reports its exit status and output without
// touching any test. A non-zero ExitCode with a nil error means the oracle rejected the input.
// The error wraps ErrUnavailable when node or the ajv modules are missing; any other error
// means the oracle itself is broken (script not found, bad schema, usage error, crash).
func Run(ctx context.Context, files ...string) (Result, error) {
	if len(files) == 0 {
		return Result{}, errors.New("oracle: no files given")
	}
	script, err := ScriptPath()
	if err != nil {
		return Result{}, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return Result{}, fmt.Errorf("%w: node not found on PATH: %v", ErrUnavailable, err)
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	args := append([]string{script}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	runErr := cmd.Run()
	res := Result{Output: out.String()}
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
		return res, nil
	case errors.As(runErr, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		return res, fmt.Errorf("oracle: running %s: %w", script, runErr)
	}
	switch res.ExitCode {
	case 1:
		return res, nil
	case exitUnavailable:
		return res, fmt.Errorf("%w: %s", ErrUnavailable, bytes.TrimSpace(out.Bytes()))
	default:
		return res, fmt.Errorf("oracle: %s exited with status %d:\n%s", script, res.ExitCode, res.Output)
	}
}

// ImportFiles runs the ajv oracle over the given import files. It calls t.Skip when node or the ajv
// modules are missing, unless the environment variable USHER_REQUIRE_ORACLES=1 is set, in which case
// it fails the test instead (CI sets it). On validation failures it fails the test with the script's output.
func ImportFiles(t testing.TB, files ...string) {
	t.Helper()
	res, err := Run(t.Context(), files...)
	if errors.Is(err, ErrUnavailable) {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v (%s=1 requires the oracle; run: npm install --prefix testdata/oracle)", err, RequireEnv)
			return
		}
		t.Skipf("skipping: %v (install with: npm install --prefix testdata/oracle)", err)
		return
	}
	if err != nil {
		t.Fatalf("%v", err)
		return
	}
	if !res.OK() {
		t.Fatalf("Auth0 import oracle rejected %v:\n%s", files, res.Output)
	}
}

// ValidateUsers is a convenience that writes users (already-encoded JSON objects) into a temp import file and calls ImportFiles.
func ValidateUsers(t testing.TB, users ...json.RawMessage) {
	t.Helper()
	path, err := WriteImportFile(t.TempDir(), users...)
	if err != nil {
		t.Fatalf("oracle: %v", err)
		return
	}
	ImportFiles(t, path)
}

// WriteImportFile writes users (already-encoded JSON objects) as one JSON array to
// dir/users.json and returns the file's path. The users are written verbatim, not re-encoded.
func WriteImportFile(dir string, users ...json.RawMessage) (string, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, u := range users {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(u)
	}
	buf.WriteString("]\n")
	path := filepath.Join(dir, "users.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return path, nil
}
