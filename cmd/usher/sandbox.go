package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
)

// newSandboxCmd is `usher sandbox --listen ADDR`: the Auth0 Management API emulator that the tests
// use, on a real listener, so a migration can be rehearsed locally.
func newSandboxCmd(log *slog.Logger, stdout io.Writer) *cobra.Command {
	var listen, clientID, secretFile string
	var processing, perUser time.Duration
	cmd := &cobra.Command{
		Use:   "sandbox [--listen ADDR] [--client-secret-file F]",
		Short: "Run a local emulator of Auth0's Management API (tokens, connections, import and export jobs)",
		Long: `sandbox serves the emulator of the Auth0 Management API that usher's tests use: the client
credentials token endpoint, connections, users-imports jobs with Auth0's documented rules (512000-byte
limit, two concurrent jobs, per-user schema errors, DUPLICATED_USER, CONFLICT_*, upsert), the job
errors endpoint, users-exports and rate-limit headers. It keeps its tenant in memory until it stops.

The client secret is read from --client-secret-file; when the file does not exist a random secret
is written to it (mode 0600). The connection "Username-Password-Authentication" exists.`,
		Example: `  usher sandbox --listen 127.0.0.1:8080 --client-secret-file sandbox.secret &
  usher migrate --source gigya --input export/ --out run1 \
    --tenant http://127.0.0.1:8080 --client-id usher-sandbox --client-secret-file sandbox.secret \
    --connection Username-Password-Authentication`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secret, err := sandboxSecret(secretFile)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := auth0test.New(auth0test.Options{ClientID: clientID, ClientSecret: secret,
				ProcessingTime: processing, PerUser: perUser})
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(stdout, "Auth0 sandbox on http://%s  (--tenant http://%s --client-id %s --client-secret-file %s --connection %s)\n",
				ln.Addr(), ln.Addr(), clientID, secretFile, auth0test.DefaultConnectionName)
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-cmd.Context().Done():
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				hs.Shutdown(ctx)
				srv.Close()
				log.Info("sandbox stopped")
				return nil
			}
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&clientID, "client-id", "usher-sandbox", "the client id the sandbox accepts")
	fs.StringVar(&secretFile, "client-secret-file", "sandbox.secret", "file holding the client secret (created with a random one if missing)")
	fs.DurationVar(&processing, "processing-time", 2*time.Second, "how long each import job runs")
	fs.DurationVar(&perUser, "per-user", time.Millisecond, "extra job time per user")
	return cmd
}

// sandboxSecret reads the sandbox's client secret, creating the file with a random one first.
func sandboxSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		var r [24]byte
		rand.Read(r[:])
		s := hex.EncodeToString(r[:])
		if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
			return "", err
		}
		return s, nil
	}
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}
