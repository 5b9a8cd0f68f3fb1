package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/hook/scripts"
	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
	"github.com/usher-migrate/usher/internal/oracle"
)

const (
	hiConnID    = "con_LEGACYLEGACY0000"
	hiConnName  = "legacy-db"
	hiHookToken = "hook-install-token-5f1e2d3c4b5a"
	hiHookURL   = "https://hook.example.com:8443"
)

// hiOptions are the options of the test connection before usher touches it: everything usher
// must keep.
func hiOptions() map[string]any {
	return map[string]any{
		"passwordPolicy":              "excellent",
		"password_complexity_options": map[string]any{"min_length": 12},
		"password_history":            map[string]any{"enable": true, "size": 5},
		"mfa":                         map[string]any{"active": true, "return_enroll_settings": true},
		"attributes": map[string]any{"email": map[string]any{"identifier": map[string]any{"active": true},
			"signup": map[string]any{"status": "required", "verification": map[string]any{"active": true}}}},
		"validation":                   map[string]any{"username": map[string]any{"min": 3, "max": 30}},
		"brute_force_protection":       true,
		"enabledDatabaseCustomization": false,
		"import_mode":                  false,
		"customScripts": map[string]any{
			"create":          "function create(user, callback) { return callback(null); }",
			"change_password": "function changePassword(email, newPassword, callback) { return callback(null, false); }",
		},
	}
}

// hiFixture is an emulated tenant with the test connection, a social connection and files.
type hiFixture struct {
	srv                        *auth0test.Server
	dir, secretFile, tokenFile string
	before                     map[string]any // the connection's options as seeded (JSON-normalized)
}

func newHIFixture(t *testing.T, o auth0test.Options, conns ...auth0test.Connection) *hiFixture {
	t.Helper()
	if len(conns) == 0 {
		conns = []auth0test.Connection{{ID: hiConnID, Name: hiConnName, Strategy: "auth0", Enabled: true, DisplayName: "Legacy users", Options: hiOptions()}}
	}
	conns = append(conns, auth0test.Connection{ID: "con_GOOGLEGOOGLE0000", Name: "google-oauth2", Strategy: "google-oauth2", Enabled: true})
	o.ClientID, o.ClientSecret, o.Connections = testClient, testSecret, conns
	if o.Scopes == nil {
		o.Scopes = auth0test.ConnectionScopes
	}
	srv := auth0test.NewServer(o)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	f := &hiFixture{srv: srv, dir: dir, secretFile: filepath.Join(dir, "m2m.secret"), tokenFile: filepath.Join(dir, "hook.token")}
	os.WriteFile(f.secretFile, []byte(testSecret+"\n"), 0o600)
	os.WriteFile(f.tokenFile, []byte(hiHookToken+"\n"), 0o600)
	f.before = f.options(t)
	return f
}

func (f *hiFixture) tenantArgs(verb string, extra ...string) []string {
	args := []string{"hook", verb, "--tenant", f.srv.URL, "--client-id", testClient, "--client-secret-file", f.secretFile}
	return append(args, extra...)
}

func (f *hiFixture) install(t *testing.T, extra ...string) (int, string) {
	t.Helper()
	args := f.tenantArgs("install", "--connection", hiConnName, "--url", hiHookURL, "--token-file", f.tokenFile)
	return usher(t, append(args, extra...)...)
}

func (f *hiFixture) uninstall(t *testing.T, extra ...string) (int, string) {
	t.Helper()
	return usher(t, append(f.tenantArgs("uninstall", "--connection", hiConnName), extra...)...)
}

// options is the test connection's stored options (configuration values in clear).
func (f *hiFixture) options(t *testing.T) map[string]any {
	t.Helper()
	c := f.srv.StoredConnection(hiConnName)
	if c == nil {
		t.Fatal("no test connection")
	}
	return c["options"].(map[string]any)
}

func (f *hiFixture) updates() int64 { return f.srv.Stats().ConnectionUpdates }

// noSecretsIn fails when out shows the hook token, the client secret or any of more.
func noSecretsIn(t *testing.T, out string, more ...string) {
	t.Helper()
	for _, s := range append([]string{hiHookToken, testSecret}, more...) {
		if strings.Contains(out, s) {
			t.Errorf("the output shows a secret (%.4s…):\n%s", s, out)
		}
	}
}

// keptOptions checks that every option of before other than the ones usher owns is in after,
// unchanged, and so are the customScripts other than login and get_user.
func keptOptions(t *testing.T, before, after map[string]any) {
	t.Helper()
	for k, v := range before {
		switch k {
		case "enabledDatabaseCustomization", "import_mode", "configuration":
			continue
		case "customScripts":
			got, _ := after["customScripts"].(map[string]any)
			for name, s := range v.(map[string]any) {
				if name != "login" && name != "get_user" && got[name] != s {
					t.Errorf("customScripts.%s changed: %v", name, got[name])
				}
			}
			continue
		}
		if !reflect.DeepEqual(after[k], v) {
			t.Errorf("option %s changed: %v → %v", k, v, after[k])
		}
	}
}

// withTerminal makes the confirmation read from in, as from a terminal when tty.
func withTerminal(t *testing.T, in string, tty bool) {
	t.Helper()
	old := confirmTerminal
	confirmTerminal = func() (io.Reader, bool) { return strings.NewReader(in), tty }
	t.Cleanup(func() { confirmTerminal = old })
}

// genScript renders one of usher's scripts for url.
func genScript(t *testing.T, gen func(scripts.Options) ([]byte, error), url string) string {
	t.Helper()
	b, err := gen(scripts.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHookInstall installs usher on a connection rich in options: the diff names what changes
// (the token masked), every other option survives the whole-object PATCH, the scripts are the
// generated ones, the configuration holds the clear values (never a masked one read back), and a
// second install with the same inputs changes nothing but re-writing the configuration.
func TestHookInstall(t *testing.T) {
	f := newHIFixture(t, auth0test.Options{Faults: auth0test.Faults{RateLimitEvery: 11, ServerErrorEvery: 6}})
	withTerminal(t, "", false)

	code, out := f.install(t, "--dry-run")
	if code != exitOK || !strings.Contains(out, "dry run: nothing was changed") || f.updates() != 0 {
		t.Fatalf("dry run: exit %d, %d updates:\n%s", code, f.updates(), out)
	}
	wantLines := []string{
		`usher hook install: connection "legacy-db" (con_LEGACYLEGACY0000) on ` + f.srv.URL,
		"  ~ options.enabledDatabaseCustomization: false → true",
		"  ~ options.import_mode: false → true",
		"  + options.customScripts.get_user: usher's get_user script (",
		"  + options.customScripts.login: usher's login script (",
		`  * options.configuration.USHER_URL: written: "` + hiHookURL + `" (new)`,
		"  * options.configuration.USHER_TOKEN: written: ******** (from " + f.tokenFile + ") (new)",
		"  = kept as they are: attributes, brute_force_protection, mfa, passwordPolicy, password_complexity_options, password_history, validation, customScripts.change_password, customScripts.create",
	}
	for _, w := range wantLines {
		if !strings.Contains(out, w) {
			t.Errorf("the diff lacks %q:\n%s", w, out)
		}
	}
	noSecretsIn(t, out)

	code, out = f.install(t, "--yes")
	if code != exitOK || !strings.Contains(out, "installed: connection") {
		t.Fatalf("install: exit %d:\n%s", code, out)
	}
	noSecretsIn(t, out)
	after := f.options(t)
	keptOptions(t, f.before, after)
	login := genScript(t, scripts.Login, hiHookURL)
	getUser := genScript(t, scripts.GetUser, hiHookURL)
	cs := after["customScripts"].(map[string]any)
	if after["enabledDatabaseCustomization"] != true || after["import_mode"] != true || cs["login"] != login || cs["get_user"] != getUser {
		t.Errorf("options after install: %v", after)
	}
	if cfg := after["configuration"]; !reflect.DeepEqual(cfg, map[string]any{"USHER_URL": hiHookURL, "USHER_TOKEN": hiHookToken}) {
		t.Errorf("configuration %v, want the clear URL and token", cfg)
	}
	if dn := f.srv.StoredConnection(hiConnName)["display_name"]; dn != "Legacy users" {
		t.Errorf("display_name %v: the PATCH lost it", dn)
	}

	// Idempotence: the same install again shows only the configuration being written again.
	code, out = f.install(t, "--yes")
	if code != exitOK {
		t.Fatalf("second install: exit %d:\n%s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "  ~") || strings.HasPrefix(line, "  +") || strings.HasPrefix(line, "  -") || strings.HasPrefix(line, "  !") {
			t.Errorf("the second install shows a change: %q", line)
		}
	}
	if !strings.Contains(out, "USHER_TOKEN: written: ******** (from "+f.tokenFile+") (set before: Auth0 never shows stored values, so it is always written again)") {
		t.Errorf("the second install does not say the configuration is written again:\n%s", out)
	}
	if again := f.options(t); !reflect.DeepEqual(again, after) {
		t.Errorf("the second install changed the options:\n%v\n%v", after, again)
	}
	if f.updates() != 2 {
		t.Errorf("%d PATCHes, want 2", f.updates())
	}
	noSecretsIn(t, out)
	// The client retried through the faults (and logged it) without showing a secret.
	if st := f.srv.Stats(); st.Faults.RateLimited == 0 || st.Faults.ServerErrors == 0 {
		t.Errorf("no faults were injected: %+v", st.Faults)
	}
}

// TestHookInstallConfirmation: without --yes the change is asked on the terminal; without a
// terminal it is refused (exit 2) before anything is written.
func TestHookInstallConfirmation(t *testing.T) {
	cases := []struct {
		name    string
		input   string
		tty     bool
		code    int
		want    string
		updates int64
	}{
		{"no terminal", "", false, exitUsage, "standard input is not a terminal", 0},
		{"answered no", "n\n", true, exitFailed, "not confirmed; nothing was changed", 0},
		{"answered nothing", "", true, exitFailed, "not confirmed", 0},
		{"answered yes", "yes\n", true, exitOK, "installed: connection", 1},
		{"answered y", "Y\n", true, exitOK, "installed: connection", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newHIFixture(t, auth0test.Options{})
			withTerminal(t, tc.input, tc.tty)
			code, out := f.install(t)
			if code != tc.code || !strings.Contains(out, tc.want) || f.updates() != tc.updates {
				t.Fatalf("exit %d (want %d), %d updates (want %d):\n%s", code, tc.code, f.updates(), tc.updates, out)
			}
			if !strings.Contains(out, "~ options.import_mode: false → true") {
				t.Errorf("the diff was not shown before asking:\n%s", out)
			}
			if tc.tty && !strings.Contains(out, `Apply these changes to connection "legacy-db" (con_LEGACYLEGACY0000) on `+f.srv.URL+"? [y/N]") {
				t.Errorf("no question:\n%s", out)
			}
			if tc.code != exitOK && !reflect.DeepEqual(f.options(t), f.before) {
				t.Errorf("the options changed")
			}
		})
	}
}

// readerFunc is an io.Reader made of a function.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestHookInstallConcurrentChange: someone changes the connection while install waits for the
// answer to its question: install writes nothing and says so.
func TestHookInstallConcurrentChange(t *testing.T) {
	f := newHIFixture(t, auth0test.Options{})
	c, err := auth0api.New(auth0api.Config{BaseURL: f.srv.URL, ClientID: testClient, ClientSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	answered := false
	old := confirmTerminal
	confirmTerminal = func() (io.Reader, bool) {
		return readerFunc(func(p []byte) (int, error) {
			if answered {
				return 0, io.EOF
			}
			answered = true
			ctx := context.Background()
			conn, err := c.ConnectionWithOptions(ctx, hiConnID)
			if err != nil {
				t.Error(err)
			}
			conn.Options["passwordPolicy"] = "low"
			if _, err := c.UpdateConnection(ctx, hiConnID, auth0api.ConnectionUpdate{Options: conn.Options, DisplayName: conn.DisplayName}); err != nil {
				t.Error(err)
			}
			return copy(p, "y\n"), nil
		}), true
	}
	t.Cleanup(func() { confirmTerminal = old })
	code, out := f.install(t)
	if code != exitFailed || !strings.Contains(out, "changed since it was read; nothing was changed") || f.updates() != 1 {
		t.Fatalf("exit %d, %d updates:\n%s", code, f.updates(), out)
	}
	if o := f.options(t); o["passwordPolicy"] != "low" || o["import_mode"] != false {
		t.Errorf("options %v", o)
	}
}

// TestHookInstallRefusals: connections and tokens usher must not or cannot change, and bad
// options; nothing is written and the message says why.
func TestHookInstallRefusals(t *testing.T) {
	withTerminal(t, "", false)
	contextConn := auth0test.Connection{ID: hiConnID, Name: hiConnName, Strategy: "auth0", Enabled: true,
		Options: map[string]any{"enable_script_context": true, "enabledDatabaseCustomization": true}}
	cases := []struct {
		name   string
		scopes []string
		conns  []auth0test.Connection
		args   func(f *hiFixture) []string
		code   int
		want   []string
	}{
		{name: "social connection", code: exitFailed,
			args: func(f *hiFixture) []string {
				return f.tenantArgs("install", "--connection", "google-oauth2", "--url", hiHookURL, "--token-file", f.tokenFile, "--yes")
			},
			want: []string{`connection "google-oauth2" (con_GOOGLEGOOGLE0000) is a "google-oauth2" connection, not a database connection`}},
		{name: "social connection by id", code: exitFailed,
			args: func(f *hiFixture) []string {
				return f.tenantArgs("uninstall", "--connection-id", "con_GOOGLEGOOGLE0000", "--yes")
			},
			want: []string{`"google-oauth2" (con_GOOGLEGOOGLE0000)`, "not a database connection"}},
		{name: "unknown connection", code: exitFailed,
			args: func(f *hiFixture) []string {
				return f.tenantArgs("install", "--connection", "No-Such-DB", "--url", hiHookURL, "--token-file", f.tokenFile, "--yes")
			},
			want: []string{`no connection named "No-Such-DB"`}},
		{name: "unknown connection id", code: exitFailed,
			args: func(f *hiFixture) []string {
				return f.tenantArgs("install", "--connection-id", "con_NOPENOPENOPENOPE", "--url", hiHookURL, "--token-file", f.tokenFile, "--yes")
			},
			want: []string{"HTTP 404", "the connection does not exist"}},
		{name: "script context", conns: []auth0test.Connection{contextConn}, code: exitFailed,
			args: func(f *hiFixture) []string { return nil },
			want: []string{"enable_script_context", "nothing was changed"}},
		{name: "without read:connections_options", scopes: []string{"read:connections", "update:connections", "update:connections_options"}, code: exitFailed,
			args: func(f *hiFixture) []string { return nil },
			want: []string{`connection "legacy-db" (con_LEGACYLEGACY0000): auth0: Auth0 answered the connection without its options: the application needs the read:connections_options scope`, "nothing was changed"}},
		{name: "without update:connections_options", scopes: []string{"read:connections", "update:connections", "read:connections_options"}, code: exitFailed,
			args: func(f *hiFixture) []string { return nil },
			want: []string{"HTTP 403", "update:connections_options"}},
		{name: "without update:connections", scopes: []string{"read:connections", "read:connections_options", "update:connections_options"}, code: exitFailed,
			args: func(f *hiFixture) []string { return nil },
			want: []string{"HTTP 403", "needs the scopes update:connections and update:connections_options"}},
		{name: "without read:connections", scopes: []string{"update:connections", "read:connections_options", "update:connections_options"}, code: exitFailed,
			args: func(f *hiFixture) []string { return nil },
			want: []string{"HTTP 403", "looking a connection up by name needs the scope read:connections"}},
		{name: "no connection", code: exitUsage,
			args: func(f *hiFixture) []string {
				return f.tenantArgs("install", "--url", hiHookURL, "--token-file", f.tokenFile)
			},
			want: []string{"exactly one of --connection and --connection-id"}},
		{name: "no url", code: exitUsage,
			args: func(f *hiFixture) []string {
				return f.tenantArgs("install", "--connection", hiConnName, "--token-file", f.tokenFile)
			},
			want: []string{"needs --url and --token-file"}},
		{name: "bad url", code: exitUsage,
			args: func(f *hiFixture) []string {
				return f.tenantArgs("install", "--connection", hiConnName, "--url", "ftp://hook.example.com", "--token-file", f.tokenFile)
			},
			want: []string{"scheme must be http or https"}},
		{name: "short token", code: exitUsage,
			args: func(f *hiFixture) []string {
				short := filepath.Join(f.dir, "short")
				os.WriteFile(short, []byte("tiny"), 0o600)
				return f.tenantArgs("install", "--connection", hiConnName, "--url", hiHookURL, "--token-file", short)
			},
			want: []string{"at least 16 characters"}},
		{name: "tenant with credentials", code: exitUsage,
			args: func(f *hiFixture) []string {
				return []string{"hook", "install", "--tenant", "https://me:pw@acme.auth0.com", "--client-id", testClient, "--connection", hiConnName, "--url", hiHookURL, "--token-file", f.tokenFile}
			},
			want: []string{"user info"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newHIFixture(t, auth0test.Options{Scopes: tc.scopes}, tc.conns...)
			args := tc.args(f)
			if args == nil {
				args = f.tenantArgs("install", "--connection", hiConnName, "--url", hiHookURL, "--token-file", f.tokenFile, "--yes")
			}
			code, out := usher(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the message lacks %q:\n%s", w, out)
				}
			}
			if f.updates() != 0 || !reflect.DeepEqual(f.options(t), f.before) {
				t.Errorf("the connection changed")
			}
			noSecretsIn(t, out)
		})
	}
}

// TestHookInstallConfiguration: the connection's other configuration keys cannot be read back,
// so install refuses to lose them, and writes them only from --configuration-file (never what
// GET answered), or drops them on request.
func TestHookInstallConfiguration(t *testing.T) {
	const dbSecret, apiKey, newSecret = "old-db-secret-value-1", "old-api-key-value-22", "new-db-secret-value-333"
	opts := hiOptions()
	opts["configuration"] = map[string]any{"DB_PASSWORD": dbSecret, "LEGACY_API_KEY": apiKey, "USHER_URL": "https://old-hook.example.com"}
	conn := auth0test.Connection{ID: hiConnID, Name: hiConnName, Strategy: "auth0", Enabled: true, Options: opts}
	withTerminal(t, "", false)
	write := func(f *hiFixture, name, content string) string {
		p := filepath.Join(f.dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	cases := []struct {
		name    string
		args    func(f *hiFixture) []string
		code    int
		want    []string
		wantCfg map[string]any // nil: unchanged
	}{
		{name: "neither given nor dropped", args: func(*hiFixture) []string { return nil }, code: exitUsage,
			want: []string{
				"! options.configuration.DB_PASSWORD: would be lost: Auth0 never gives its value back; give it in --configuration-file, or remove it with --drop-configuration DB_PASSWORD",
				"! options.configuration.LEGACY_API_KEY: would be lost",
				"the configuration key(s) DB_PASSWORD, LEGACY_API_KEY would be lost"}},
		{name: "one dropped", args: func(*hiFixture) []string { return []string{"--drop-configuration", "LEGACY_API_KEY"} }, code: exitUsage,
			want: []string{"- options.configuration.LEGACY_API_KEY: removed (--drop-configuration)", "the configuration key(s) DB_PASSWORD would be lost"}},
		{name: "given as KEY=VALUE, the other dropped",
			args: func(f *hiFixture) []string {
				return []string{"--configuration-file", write(f, "cfg.env", "# legacy DB\n\nDB_PASSWORD = \""+newSecret+"\"\n"),
					"--drop-configuration", "LEGACY_API_KEY", "--yes"}
			},
			code: exitOK,
			want: []string{"* options.configuration.DB_PASSWORD: written: ******** (from ", "(set before: Auth0 never shows stored values",
				"- options.configuration.LEGACY_API_KEY: removed (--drop-configuration)", "* options.configuration.USHER_URL: written: \"" + hiHookURL + "\" (set before"},
			wantCfg: map[string]any{"DB_PASSWORD": newSecret, "USHER_URL": hiHookURL, "USHER_TOKEN": hiHookToken}},
		{name: "given as JSON, a new key added",
			args: func(f *hiFixture) []string {
				return []string{"--configuration-file", write(f, "cfg.json", `{"DB_PASSWORD":"`+newSecret+`","LEGACY_API_KEY":"`+apiKey+`","EXTRA":"x-extra-value"}`), "--yes"}
			},
			code:    exitOK,
			want:    []string{"* options.configuration.EXTRA: written: ******** (from ", "(new)"},
			wantCfg: map[string]any{"DB_PASSWORD": newSecret, "LEGACY_API_KEY": apiKey, "EXTRA": "x-extra-value", "USHER_URL": hiHookURL, "USHER_TOKEN": hiHookToken}},
		{name: "usher's keys in the file",
			args: func(f *hiFixture) []string {
				return []string{"--configuration-file", write(f, "cfg.env", "USHER_TOKEN=abcdefabcdefabcdef\n")}
			},
			code: exitUsage, want: []string{"USHER_TOKEN comes from --url and --token-file"}},
		{name: "given and dropped",
			args: func(f *hiFixture) []string {
				return []string{"--configuration-file", write(f, "cfg.env", "DB_PASSWORD=x\n"), "--drop-configuration", "DB_PASSWORD"}
			},
			code: exitUsage, want: []string{"choose one"}},
		{name: "dropping usher's key",
			args: func(*hiFixture) []string { return []string{"--drop-configuration", "USHER_URL"} },
			code: exitUsage, want: []string{"install writes it"}},
		{name: "value not a string",
			args: func(f *hiFixture) []string {
				return []string{"--configuration-file", write(f, "cfg.json", `{"DB_PASSWORD":{"v":"`+newSecret+`"}}`)}
			},
			code: exitUsage, want: []string{"the value of DB_PASSWORD must be a string"}},
		{name: "key given twice",
			args: func(f *hiFixture) []string {
				return []string{"--configuration-file", write(f, "cfg.env", "DB_PASSWORD=a\nDB_PASSWORD="+newSecret+"\n")}
			},
			code: exitUsage, want: []string{"cfg.env:2: DB_PASSWORD is given twice"}},
		{name: "not KEY=VALUE",
			args: func(f *hiFixture) []string {
				return []string{"--configuration-file", write(f, "cfg.env", newSecret+"\n")}
			},
			code: exitUsage, want: []string{"cfg.env:1: want KEY=VALUE"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newHIFixture(t, auth0test.Options{}, conn)
			code, out := f.install(t, tc.args(f)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output lacks %q:\n%s", w, out)
				}
			}
			noSecretsIn(t, out, dbSecret, apiKey, newSecret, "x-extra-value")
			after := f.options(t)
			if tc.wantCfg == nil {
				if f.updates() != 0 || !reflect.DeepEqual(after, f.before) {
					t.Errorf("the connection changed: %v", after["configuration"])
				}
				return
			}
			if !reflect.DeepEqual(after["configuration"], tc.wantCfg) {
				t.Errorf("configuration %v, want %v", after["configuration"], tc.wantCfg)
			}
			for k, v := range after["configuration"].(map[string]any) {
				if auth0test.IsMasked(v.(string)) {
					t.Errorf("configuration.%s holds a masked value read back from Auth0", k)
				}
			}
			keptOptions(t, f.before, after)
		})
	}
}

// TestHookUninstall: the default leaves an ordinary database connection (no-op scripts, import
// mode and custom database off, usher's configuration gone); --keep-import-mode keeps both flags
// on with the no-op scripts; a second uninstall changes nothing; the other options survive.
func TestHookUninstall(t *testing.T) {
	withTerminal(t, "", false)
	t.Run("default", func(t *testing.T) {
		f := newHIFixture(t, auth0test.Options{})
		if code, out := f.install(t, "--yes"); code != exitOK {
			t.Fatalf("install: exit %d:\n%s", code, out)
		}
		code, out := f.uninstall(t)
		if code != exitUsage || !strings.Contains(out, "not a terminal") || f.updates() != 1 {
			t.Fatalf("uninstall without --yes: exit %d:\n%s", code, out)
		}
		for _, w := range []string{
			"  ~ options.enabledDatabaseCustomization: true → false",
			"  ~ options.import_mode: true → false",
			`  ~ options.customScripts.login: usher's login script (`,
			`→ Auth0's no-op script "function login(email, password, callback) { return callback(null, null); }"`,
			`→ Auth0's no-op script "function getByEmail(email, callback) { return callback(null, null); }"`,
			"  - options.configuration.USHER_TOKEN: removed",
			"  - options.configuration.USHER_URL: removed",
		} {
			if !strings.Contains(out, w) {
				t.Errorf("the diff lacks %q:\n%s", w, out)
			}
		}
		if code, out = f.uninstall(t, "--yes"); code != exitOK || !strings.Contains(out, "is an ordinary Auth0 database connection") {
			t.Fatalf("uninstall: exit %d:\n%s", code, out)
		}
		noSecretsIn(t, out)
		after := f.options(t)
		keptOptions(t, f.before, after)
		cs := after["customScripts"].(map[string]any)
		if after["enabledDatabaseCustomization"] != false || after["import_mode"] != false ||
			cs["login"] != noopLoginScript || cs["get_user"] != noopGetUserScript {
			t.Errorf("options after uninstall: %v", after)
		}
		if _, has := after["configuration"]; has {
			t.Errorf("configuration left: %v", after["configuration"])
		}
		code, out = f.uninstall(t, "--yes")
		if code != exitOK || !strings.Contains(out, "nothing to change") || f.updates() != 2 {
			t.Fatalf("second uninstall: exit %d, %d updates:\n%s", code, f.updates(), out)
		}
	})
	t.Run("keep import mode", func(t *testing.T) {
		f := newHIFixture(t, auth0test.Options{})
		if code, out := f.install(t, "--yes"); code != exitOK {
			t.Fatalf("install: exit %d:\n%s", code, out)
		}
		code, out := f.uninstall(t, "--keep-import-mode", "--yes")
		if code != exitOK || !strings.Contains(out, "keeps import mode on with no-op scripts") ||
			strings.Contains(out, "options.import_mode") || strings.Contains(out, "options.enabledDatabaseCustomization") {
			t.Fatalf("uninstall: exit %d:\n%s", code, out)
		}
		after := f.options(t)
		keptOptions(t, f.before, after)
		cs := after["customScripts"].(map[string]any)
		if after["enabledDatabaseCustomization"] != true || after["import_mode"] != true ||
			cs["login"] != noopLoginScript || cs["get_user"] != noopGetUserScript || after["configuration"] != nil {
			t.Errorf("options after uninstall: %v", after)
		}
		// Then the default: only the two flags change.
		code, out = f.uninstall(t, "--yes")
		if code != exitOK || strings.Contains(out, "customScripts.login") || !strings.Contains(out, "options.import_mode: true → false") {
			t.Fatalf("uninstall after --keep-import-mode: exit %d:\n%s", code, out)
		}
	})
	t.Run("other configuration keys", func(t *testing.T) {
		opts := hiOptions()
		opts["configuration"] = map[string]any{"USHER_URL": hiHookURL, "USHER_TOKEN": hiHookToken, "DB_PASSWORD": "db-secret-kept-999"}
		f := newHIFixture(t, auth0test.Options{}, auth0test.Connection{ID: hiConnID, Name: hiConnName, Strategy: "auth0", Enabled: true, Options: opts})
		code, out := f.uninstall(t, "--yes")
		if code != exitUsage || !strings.Contains(out, "DB_PASSWORD would be lost") || f.updates() != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		cfgFile := filepath.Join(f.dir, "cfg.env")
		os.WriteFile(cfgFile, []byte("DB_PASSWORD=db-secret-kept-999\n"), 0o600)
		code, out = f.uninstall(t, "--yes", "--configuration-file", cfgFile)
		if code != exitOK {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		noSecretsIn(t, out, "db-secret-kept-999")
		if cfg := f.options(t)["configuration"]; !reflect.DeepEqual(cfg, map[string]any{"DB_PASSWORD": "db-secret-kept-999"}) {
			t.Errorf("configuration %v", cfg)
		}
	})
	t.Run("never installed", func(t *testing.T) {
		f := newHIFixture(t, auth0test.Options{})
		code, out := f.uninstall(t)
		if code != exitOK || !strings.Contains(out, "nothing to change") || f.updates() != 0 {
			t.Fatalf("exit %d, %d updates:\n%s", code, f.updates(), out)
		}
		// --keep-import-mode needs both scripts: the no-ops are added.
		code, out = f.uninstall(t, "--keep-import-mode", "--yes")
		if code != exitOK || !strings.Contains(out, `+ options.customScripts.login: Auth0's no-op script`) || f.updates() != 1 {
			t.Fatalf("--keep-import-mode: exit %d:\n%s", code, out)
		}
	})
	t.Run("not usher's", func(t *testing.T) {
		opts := hiOptions()
		opts["enabledDatabaseCustomization"] = true
		opts["customScripts"].(map[string]any)["login"] = "function login(email, password, callback) { mysql.query(…); }"
		f := newHIFixture(t, auth0test.Options{}, auth0test.Connection{ID: hiConnID, Name: hiConnName, Strategy: "auth0", Enabled: true, Options: opts})
		code, out := f.uninstall(t, "--yes")
		if code != exitUsage || !strings.Contains(out, "does not look like usher's: its login script") || f.updates() != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if code, out = f.uninstall(t, "--yes", "--force"); code != exitOK || f.updates() != 1 {
			t.Fatalf("--force: exit %d:\n%s", code, out)
		}
	})
	t.Run("script context", func(t *testing.T) {
		opts := hiOptions()
		opts["enable_script_context"] = true
		opts["enabledDatabaseCustomization"], opts["import_mode"] = true, true
		opts["customScripts"].(map[string]any)["login"] = "function login(u, p, context, callback) { callback(null, null); /* by hand */ }"
		opts["customScripts"].(map[string]any)["get_user"] = "function getUser(e, context, callback) { callback(null); /* by hand */ }"
		opts["configuration"] = map[string]any{"USHER_URL": hiHookURL, "USHER_TOKEN": hiHookToken}
		f := newHIFixture(t, auth0test.Options{}, auth0test.Connection{ID: hiConnID, Name: hiConnName, Strategy: "auth0", Enabled: true, Options: opts})
		if code, out := f.uninstall(t, "--yes"); code != exitOK {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		cs := f.options(t)["customScripts"].(map[string]any)
		if cs["login"] != noopLoginScriptContext || cs["get_user"] != noopGetUserScriptContext || f.options(t)["enable_script_context"] != true {
			t.Errorf("options %v", f.options(t))
		}
	})
}

// TestHookInstallScriptsRunInNode: the scripts install put on the connection, with the
// configuration it stored, run in real Node against a real hook; after uninstall the no-op
// scripts call back (null, null).
func TestHookInstallScriptsRunInNode(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv(oracle.RequireEnv) == "1" {
			t.Fatal("node not found")
		}
		t.Skip("node not found")
	}
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "lazy.db")
	if code, msg := usher(t, "stage", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--store", dsn, "--progress", "never"); code != exitRejected {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	f := newHIFixture(t, auth0test.Options{})
	hookURL, stop := startHook(t, "--store", dsn, "--token-file", f.tokenFile)
	defer stop()
	withTerminal(t, "", false)
	code, out := usher(t, f.tenantArgs("install", "--connection", hiConnName, "--url", hookURL, "--token-file", f.tokenFile, "--yes")...)
	if code != exitOK || !strings.Contains(out, "http: Auth0 would send passwords") {
		t.Fatalf("install: exit %d:\n%s", code, out)
	}
	opts := f.options(t)
	cs := opts["customScripts"].(map[string]any)
	if cs["login"] != genScript(t, scripts.Login, hookURL) || cs["get_user"] != genScript(t, scripts.GetUser, hookURL) {
		t.Fatal("the installed scripts are not the generated ones")
	}
	// Auth0 gives the scripts the configuration in clear: what the emulator stored.
	config, _ := json.Marshal(opts["configuration"])
	for _, name := range []string{"login", "get_user"} {
		os.WriteFile(filepath.Join(dir, name+".js"), []byte(cs[name].(string)), 0o644)
	}
	script, _ := oracle.ScriptPath()
	harness := filepath.Join(filepath.Dir(script), "run-script.mjs")
	type answer struct {
		Error   *struct{ Name string }
		Profile map[string]any
	}
	call := func(file, fn string, args ...string) answer {
		out, err := exec.Command("node", append([]string{harness, filepath.Join(dir, file), fn, string(config)}, args...)...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", fn, args, err, out)
		}
		var a answer
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatalf("harness output %s: %v", out, err)
		}
		return a
	}
	if a := call("login.js", "login", "md5crypt@example.com", "password"); a.Error != nil || a.Profile["user_id"] != "g-md5crypt" {
		t.Errorf("login: %+v", a)
	}
	if a := call("login.js", "login", "rounds@example.com", "wrong"); a.Error == nil || a.Error.Name != "WrongUsernameOrPasswordError" {
		t.Errorf("wrong password: %+v", a)
	}
	if a := call("get_user.js", "getUser", "rounds@example.com"); a.Error != nil || a.Profile["user_id"] != "g-sha1-rounds" {
		t.Errorf("get_user: %+v", a)
	}

	if code, out := f.uninstall(t, "--yes"); code != exitOK {
		t.Fatalf("uninstall: exit %d:\n%s", code, out)
	}
	cs = f.options(t)["customScripts"].(map[string]any)
	// Each no-op, evaluated as Auth0 evaluates a script (one function), calls back (null, null).
	const evalNoop = `const vm = require('node:vm');
const [src, ...args] = process.argv.slice(1);
const fn = vm.runInNewContext('(' + src + ')');
fn(...args, (...cb) => console.log(JSON.stringify(cb)));`
	for name, args := range map[string][]string{"login": {"a@example.com", "pw"}, "get_user": {"a@example.com"}} {
		out, err := exec.Command("node", append([]string{"-e", evalNoop, cs[name].(string)}, args...)...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "[null,null]" {
			t.Errorf("no-op %s: %v %s", name, err, out)
		}
	}
}

// TestHookInstallTerminal runs the binary under a pseudo-terminal (util-linux script): the
// question is asked there and "y" applies the change; with standard input not a terminal and no
// --yes the binary refuses with exit 2.
func TestHookInstallTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script (util-linux) not found")
	}
	if v, _ := exec.Command(scriptBin, "--version").CombinedOutput(); !bytes.Contains(v, []byte("util-linux")) {
		t.Skip("script is not util-linux's")
	}
	bin := binary(t)
	f := newHIFixture(t, auth0test.Options{})
	args := f.tenantArgs("install", "--connection", hiConnName, "--url", hiHookURL, "--token-file", f.tokenFile)

	plain := exec.Command(bin, args...)
	plain.Stdin = strings.NewReader("y\n")
	out, err := plain.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !bytes.Contains(out, []byte("standard input is not a terminal")) || f.updates() != 0 {
		t.Fatalf("without a terminal: %v:\n%s", err, out)
	}

	quoted := make([]string, 0, len(args)+1)
	for _, a := range append([]string{bin}, args...) {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, scriptBin, "-qec", strings.Join(quoted, " "), "/dev/null")
	stdin, _ := cmd.StdinPipe()
	var tty bytes.Buffer
	cmd.Stdout, cmd.Stderr = &tty, &tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "y\n") // the terminal's line discipline holds it until the question reads it
	if err := cmd.Wait(); err != nil {
		t.Fatalf("under a terminal: %v:\n%s", err, tty.String())
	}
	if !strings.Contains(tty.String(), "? [y/N]") || !strings.Contains(tty.String(), "installed: connection") || f.updates() != 1 {
		t.Fatalf("under a terminal (%d updates):\n%s", f.updates(), tty.String())
	}
	noSecretsIn(t, tty.String())
}

func TestRedactError(t *testing.T) {
	err := redactError(usageError{errors.New("auth0: 400: bad value " + hiHookToken + " and s3cret-config")}, []string{hiHookToken, "s3cret-config", ""})
	var ue usageError
	if !errors.As(err, &ue) || strings.Contains(err.Error(), hiHookToken) || strings.Contains(err.Error(), "s3cret-config") ||
		err.Error() != "auth0: 400: bad value [redacted] and [redacted]" {
		t.Fatalf("%v", err)
	}
	var buf bytes.Buffer
	log := slog.New(redactHandler{slog.NewTextHandler(&buf, nil), []string{hiHookToken}}).With("k", "v "+hiHookToken)
	log.Info("token "+hiHookToken, "err", errors.New("e "+hiHookToken), "s", hiHookToken)
	if strings.Contains(buf.String(), hiHookToken) || strings.Count(buf.String(), "[redacted]") != 4 {
		t.Errorf("log line %s", buf.String())
	}
	plain := errors.New("nothing secret")
	if redactError(plain, []string{hiHookToken}) != plain {
		t.Error("an error without secrets was rewritten")
	}
}
