package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/pipeline/hook"
	"github.com/usher-migrate/usher/pipeline/hook/scripts"
	"github.com/usher-migrate/usher/pipeline/store"
	gigyasrc "github.com/usher-migrate/usher/sources/gigya"
	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
)

// newHookCmd is `usher hook serve|scripts`.
func newHookCmd(log *slog.Logger, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook serve|scripts",
		Short: "The lazy-migration service Auth0's custom-database scripts call, and those scripts",
	}
	cmd.AddCommand(newHookServeCmd(log, stdout), newHookScriptsCmd(stdout))
	return cmd
}

// storeUsers adapts a store.Store to the hook's Users.
type storeUsers struct{ s store.Store }

func (u storeUsers) Find(ctx context.Context, login string) (string, []byte, error) {
	usr, err := u.s.Find(ctx, login)
	if err != nil {
		return "", nil, err
	}
	if usr.Status == "swept" {
		// The sweep put this user in an import file: answering would create it twice in Auth0.
		return "", nil, store.ErrNotFound
	}
	return usr.Key, usr.Profile, nil
}

func (u storeUsers) MarkMigrated(ctx context.Context, key string) (bool, error) {
	return u.s.MarkMigrated(ctx, key)
}

func newHookServeCmd(log *slog.Logger, stdout io.Writer) *cobra.Command {
	var dsn, listen, tokenFile, cert, key string
	var perClient float64
	var serverTiming bool
	var oktaURL, oktaTokenFile string
	var gigya struct{ url, dataCenter, apiKey, userKey, secretFile string }
	cmd := &cobra.Command{
		Use:   "serve --store DSN --token-file F [--listen ADDR] [--tls-cert F --tls-key F]",
		Short: "Serve POST /v1/login, POST /v1/get_user, GET /healthz and GET /metrics",
		Long: `hook serve answers Auth0's custom-database scripts (usher hook scripts writes them) from a store
that usher migrate (its DIR/usher.db) or usher stage filled:

  POST /v1/login     {"username","password"} → 200 {"profile"} and the user is marked migrated;
                     401 {"error":"invalid_credentials"} for a wrong password, an unknown or a blocked user
  POST /v1/get_user  {"email"} → 200 {"profile"} or 404 {"error":"not_found"}
  GET /healthz, GET /metrics (Prometheus)

Calls need "Authorization: Bearer <token>", the token read from --token-file. Store DSNs:
sqlite:PATH (e.g. sqlite:run1/usher.db) or postgres://… for several replicas.

Users stored without a password are verified with the legacy system while it is live: Okta's
/api/v1/authn (--okta-url) or Gigya's accounts.login (--gigya-api-key, --gigya-user-key and the
secret from --gigya-secret-file or $USHER_GIGYA_SECRET). An outage of that system answers 503.`,
		Example: `  usher hook serve --store sqlite:run1/usher.db --token-file hook.token --listen :8443 --tls-cert c.pem --tls-key k.pem`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" || tokenFile == "" {
				return usagef("hook serve needs --store and --token-file")
			}
			if (cert == "") != (key == "") {
				return usagef("--tls-cert and --tls-key go together")
			}
			b, err := os.ReadFile(tokenFile)
			if err != nil {
				return usageError{err}
			}
			token := strings.TrimSpace(string(b))
			if len(token) < 16 {
				return usagef("%s: the token must be at least 16 characters", tokenFile)
			}
			ctx := cmd.Context()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			delegate, err := hookDelegate(oktaURL, oktaTokenFile, gigya.url, gigya.dataCenter, gigya.apiKey, gigya.userKey, gigya.secretFile, log)
			if err != nil {
				return err
			}
			h := hook.New(hook.Config{Users: storeUsers{st}, Token: token, PerClient: rate.Limit(perClient), ClientBurst: int(2 * perClient), Delegate: delegate, ServerTiming: serverTiming,
				NotFound: func(err error) bool { return errors.Is(err, store.ErrNotFound) },
				Logf:     func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }})
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
				WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
			scheme := "http"
			if cert != "" {
				scheme = "https"
			}
			fmt.Fprintf(stdout, "usher hook on %s://%s\n", scheme, ln.Addr())
			errc := make(chan error, 1)
			go func() {
				if cert != "" {
					errc <- srv.ServeTLS(ln, cert, key)
				} else {
					errc <- srv.Serve(ln)
				}
			}()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				return srv.Shutdown(sctx) // in-flight logins finish
			}
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dsn, "store", "", "store DSN: sqlite:PATH or postgres://…")
	fs.StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&tokenFile, "token-file", "", "file holding the bearer token the scripts send")
	fs.StringVar(&cert, "tls-cert", "", "TLS certificate (PEM) to serve HTTPS")
	fs.StringVar(&key, "tls-key", "", "TLS private key (PEM)")
	fs.StringVar(&oktaURL, "okta-url", "", "verify the passwords of users stored without one (Okta users) with this Okta org's /api/v1/authn")
	fs.StringVar(&oktaTokenFile, "okta-token-file", "", "Okta API token for /api/v1/authn (optional: a trusted application)")
	fs.StringVar(&gigya.apiKey, "gigya-api-key", "", "verify the passwords of users stored without one (Gigya accounts exported without hashes) with this site's accounts.login")
	fs.StringVar(&gigya.userKey, "gigya-user-key", "", "application key (userKey) for accounts.login")
	fs.StringVar(&gigya.secretFile, "gigya-secret-file", "", "file holding the application secret (else $"+gigyasrc.SecretEnv+")")
	fs.StringVar(&gigya.dataCenter, "gigya-data-center", "us1.gigya.com", "the site's data center domain")
	fs.StringVar(&gigya.url, "gigya-url", "", "accounts API base URL, overriding --gigya-data-center (a proxy or an emulator)")
	fs.BoolVar(&serverTiming, "server-timing", false, "add Server-Timing: verify;dur=MS to login answers (for load tests)")
	fs.Float64Var(&perClient, "rate-per-client", 500, "requests per second allowed from one client address (burst twice that)")
	return cmd
}

// hookDelegate builds the live verification hook serve uses for users stored without a password:
// Okta's /api/v1/authn (--okta-url) or Gigya's accounts.login (--gigya-api-key), at most one.
func hookDelegate(oktaURL, oktaTokenFile, gigyaURL, gigyaDC, gigyaAPIKey, gigyaUserKey, gigyaSecretFile string, log *slog.Logger) (hook.Delegate, error) {
	switch {
	case oktaURL != "" && gigyaAPIKey != "":
		return nil, usagef("--okta-url and --gigya-api-key exclude each other: one hook delegates to one legacy system")
	case oktaURL == "" && oktaTokenFile != "":
		return nil, usagef("--okta-token-file needs --okta-url")
	case gigyaAPIKey == "" && (gigyaURL != "" || gigyaUserKey != "" || gigyaSecretFile != ""):
		return nil, usagef("the --gigya-* options need --gigya-api-key")
	case oktaURL != "":
		token := ""
		if oktaTokenFile != "" {
			var err error
			if token, err = secret.Read("okta API token", oktaTokenFile, ""); err != nil {
				return nil, usageError{err}
			}
		}
		return hook.OktaAuthn(oktaURL, token, &http.Client{Timeout: 8 * time.Second}), nil
	case gigyaAPIKey != "":
		sec, err := secret.Read("gigya secret", gigyaSecretFile, gigyasrc.SecretEnv)
		if err != nil {
			return nil, usageError{err}
		}
		if gigyaURL == "" {
			gigyaURL = "https://accounts." + gigyaDC
		}
		logf := func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
		c, err := gigyaapi.New(gigyaapi.Config{BaseURL: gigyaURL, APIKey: gigyaAPIKey, UserKey: gigyaUserKey, Secret: sec,
			HTTPClient: &http.Client{Timeout: 8 * time.Second}, Logf: logf})
		if err != nil {
			return nil, usageError{err}
		}
		return hook.GigyaLogin(c, logf), nil
	}
	return nil, nil
}

func newHookScriptsCmd(stdout io.Writer) *cobra.Command {
	var url, out string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "scripts --url URL --out DIR",
		Short: "Write login.js and get_user.js for an Auth0 custom database connection",
		Long: `hook scripts writes the Auth0 custom-database scripts that call usher hook serve. In the Auth0
Dashboard (Authentication → Database → your connection → Custom Database): turn on "Use my own
database" and "Import Users to Auth0", paste login.js into Login and get_user.js into Get User, and
set the configuration keys USHER_URL (the hook's URL) and USHER_TOKEN (its bearer token). Once every
user has migrated (or usher sweep imported the rest), replace both scripts with no-ops.`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if url == "" || out == "" {
				return usagef("hook scripts needs --url and --out")
			}
			paths, err := scripts.Write(out, scripts.Options{URL: url, Timeout: timeout})
			if err != nil {
				return usageError{err}
			}
			for _, p := range paths {
				fmt.Fprintln(stdout, p)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "the hook's public base URL (https://…)")
	cmd.Flags().StringVar(&out, "out", "", "folder to write the scripts to")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long a script waits for the hook (under Auth0's 20 s limit)")
	return cmd
}
