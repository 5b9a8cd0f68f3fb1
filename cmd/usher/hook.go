package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"github.com/usher-migrate/usher/hook"
	"github.com/usher-migrate/usher/hook/scripts"
	"github.com/usher-migrate/usher/internal/smallfile"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/store"
	"github.com/usher-migrate/usher/pipeline/validate"
)

// newHookCmd is `usher hook serve|scripts|install|uninstall`.
func newHookCmd(log *slog.Logger, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook serve|scripts|install|uninstall",
		Short: "The lazy-migration service Auth0's custom-database scripts call, and those scripts",
	}
	cmd.AddCommand(newHookServeCmd(log, stdout), newHookScriptsCmd(stdout),
		newHookInstallCmd(log, stdout), newHookUninstallCmd(log, stdout))
	return cmd
}

// liveMapper maps a live account of source the way migrate maps an exported one (the source's
// mapping, then validation), for users the hook signs in or finds that the store does not hold.
func liveMapper(source string, o migrateOptions) (func([]byte) (map[string]any, error), error) {
	info, err := pipeline.LookupSource(source)
	if err != nil {
		return nil, err
	}
	norm, err := info.NewMapping(pipeline.MappingConfig{Namespace: o.Namespace, UnknownFields: o.UnknownFields, File: o.Mapping})
	if err != nil {
		return nil, usageError{err}
	}
	vopt := validate.Options{UsernameMin: o.UsernameMin, UsernameMax: o.UsernameMax}
	return func(account []byte) (map[string]any, error) {
		rec, err := pipeline.DecodeObject(account)
		if err != nil {
			return nil, fmt.Errorf("%s account: %w", source, err)
		}
		n, issues := norm.Map(rec)
		if len(issues) == 0 {
			issues, _ = validate.User(n.User, vopt)
			// An optional field that does not fit (an Okta login that is no username) is left
			// out, as migrate leaves it out.
			if len(issues) > 0 && n.LeaveOut(issues) != nil {
				issues, _ = validate.User(n.User, vopt)
			}
		}
		if len(issues) > 0 {
			return nil, fmt.Errorf("%s account cannot be migrated: %w", source, issues[0])
		}
		return n.User, nil
	}, nil
}

func newHookServeCmd(log *slog.Logger, stdout io.Writer) *cobra.Command {
	var dsn, listen, tokenFile, cert, key string
	var perClient float64
	var serverTiming, stagedOnly bool
	mo := defaultOptions()
	var workers int
	var liveFlags liveOptions
	var queueWait time.Duration
	var metricsListen string
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
/api/v1/authn (--okta-url, --okta-token-file) or Gigya's accounts.login (--gigya-api-key,
--gigya-user-key and the secret from --gigya-secret-file or $USHER_GIGYA_SECRET). Users the store
does not hold (registered after the export) then sign in too, their profile read from the live
system and mapped as migrate would (give the same --mapping/--namespace/--unknown-fields), and
get_user finds them; --staged-only turns that off. An outage of that system answers 503.`,
		Example: `  usher hook serve --store sqlite:run1/usher.db --token-file hook.token --listen :8443 --tls-cert c.pem --tls-key k.pem`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" || tokenFile == "" {
				return usagef("hook serve needs --store and --token-file")
			}
			if (cert == "") != (key == "") {
				return usagef("--tls-cert and --tls-key go together")
			}
			token, err := readHookToken(tokenFile)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			live, source, err := liveFlags.build(cmd.Flags(), log)
			if err != nil {
				return err
			}
			var mapAccount func([]byte) (map[string]any, error)
			if live != nil && !stagedOnly {
				if mapAccount, err = liveMapper(source, mo); err != nil {
					return err
				}
			}
			users := hook.StoreUsers{Store: st, Source: source}
			h := hook.New(hook.Config{Users: users, Token: token, PerClient: rate.Limit(perClient), ClientBurst: int(2 * perClient), Live: live, Map: mapAccount, ServerTiming: serverTiming,
				Workers: workers, QueueWait: queueWait,
				NotFound: func(err error) bool { return errors.Is(err, store.ErrNotFound) },
				Logf:     func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }})
			floor, err := h.Calibrate(ctx, users, 200, 5*time.Second)
			if err != nil {
				return err
			}
			log.Info(fmt.Sprintf("refusals answer after at least %v (the costliest of 200 sampled stored passwords to verify)", floor.Round(time.Millisecond)))

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
			if metricsListen != "" {
				mln, err := net.Listen("tcp", metricsListen)
				if err != nil {
					return err
				}
				msrv := &http.Server{Handler: h.Metrics(), ReadHeaderTimeout: 5 * time.Second}
				go msrv.Serve(mln)
				defer msrv.Close()
				fmt.Fprintf(stdout, "usher hook metrics on http://%s/metrics\n", mln.Addr())
			}
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
	liveFlags = bindLiveFlags(fs)
	fs.BoolVar(&stagedOnly, "staged-only", false, "with a live legacy system: verify only the users the store holds; never sign in or look up users the export did not hold")
	fs.StringVar(&mo.Mapping, "mapping", "", "with a live legacy system: the mapping file migrate used, for the accounts of users the store does not hold")
	fs.StringVar(&mo.Namespace, "namespace", "", "with a live legacy system: the app_metadata namespace migrate used")
	fs.StringVar(&mo.UnknownFields, "unknown-fields", "", "with a live legacy system: what migrate did with unmapped fields (reject, user_metadata, drop)")
	fs.BoolVar(&serverTiming, "server-timing", false, "add Server-Timing: verify;dur=MS to login answers (for load tests)")
	fs.Float64Var(&perClient, "rate-per-client", 500, "requests per second allowed from one client address (burst twice that)")
	fs.IntVar(&workers, "verify-workers", 0, "password verifications at once (default GOMAXPROCS); more logins wait")
	fs.DurationVar(&queueWait, "queue-wait", 2*time.Second, "how long a login may wait for a verification slot before it is answered 503 (Auth0's script waits 10 s)")
	fs.StringVar(&metricsListen, "metrics-listen", "", "serve GET /metrics without a token on this (private) address; on --listen /metrics needs the token")
	return cmd
}

// readHookToken reads the bearer token the scripts send and hook serve expects: one line of at
// least 16 visible ASCII characters (surrounding white space ignored). Errors are usage errors
// and never show the file's content.
func readHookToken(path string) (string, error) {
	b, err := smallfile.Read(path)
	if err != nil {
		return "", usageError{err}
	}
	token := strings.TrimSpace(string(b))
	if len(token) < 16 {
		return "", usagef("%s: the token must be at least 16 characters", path)
	}
	for i := 0; i < len(token); i++ {
		if token[i] < 0x21 || token[i] > 0x7e {
			// A newline, NUL, space or non-ASCII byte inside makes a token no script can send.
			return "", usagef("%s: the token must be one line of visible ASCII characters (byte %d is not)", path, i+1)
		}
	}
	return token, nil
}

// liveOptions are the hook serve flags of every registered live login: --<source>-<option>.
type liveOptions map[string]map[string]*string // source → option → value

// bindLiveFlags adds a flag for each option of each registered source's live login.
func bindLiveFlags(fs *pflag.FlagSet) liveOptions {
	l := liveOptions{}
	for _, name := range pipeline.SourceNames() {
		info, _ := pipeline.LookupSource(name)
		if info.Live == nil {
			continue
		}
		l[name] = map[string]*string{}
		for _, o := range info.Live.Options {
			l[name][o.Name] = fs.String(name+"-"+o.Name, o.Default, o.Help)
		}
	}
	return l
}

// build makes the live login of the one legacy system whose flags were given (none: nil), and
// returns its source name, whose mapping maps its accounts.
func (l liveOptions) build(fs *pflag.FlagSet, log *slog.Logger) (pipeline.LiveLogin, string, error) {
	var chosen []string
	for _, name := range slices.Sorted(maps.Keys(l)) {
		for opt := range l[name] {
			if fs.Changed(name + "-" + opt) {
				chosen = append(chosen, name)
				break
			}
		}
	}
	switch len(chosen) {
	case 0:
		return nil, "", nil
	case 1:
	default:
		return nil, "", usagef("the --%s-* options exclude each other: one hook delegates to one legacy system", strings.Join(chosen, "-* and --"))
	}
	name := chosen[0]
	info, _ := pipeline.LookupSource(name)
	values := map[string]string{}
	for opt, v := range l[name] {
		values[opt] = *v
	}
	logf := func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	live, err := info.Live.New(values, logf)
	if err != nil {
		return nil, "", usageError{fmt.Errorf("%s live login: %w", name, err)}
	}
	return live, name, nil
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
user has migrated (or usher sweep imported the rest), replace both scripts with no-ops.
usher hook install and usher hook uninstall do both through the Management API.`,
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
