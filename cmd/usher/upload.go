package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/sinks/auth0"
)

// clientSecretEnv holds the M2M client secret when no --client-secret-file is given.
const clientSecretEnv = "USHER_CLIENT_SECRET"

// tenantOptions are what every command that talks to the Management API needs.
type tenantOptions struct {
	Tenant, ClientID, ClientSecretFile string
}

// client builds the Management API client. Errors never contain the secret.
func (t tenantOptions) client(log *slog.Logger) (*auth0api.Client, string, error) {
	base, err := auth0api.BaseURLFor(t.Tenant)
	if err != nil {
		return nil, "", usageError{fmt.Errorf("--tenant: %w", err)}
	}
	sec, err := secret.Read("client secret", t.ClientSecretFile, clientSecretEnv)
	if err != nil {
		return nil, "", usageError{err}
	}
	c, err := auth0api.New(auth0api.Config{BaseURL: base, ClientID: t.ClientID, ClientSecret: sec,
		Logf: func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }})
	return c, base, err
}

// upload turns the run's import files into Auth0 import jobs and returns the final report.
func upload(ctx context.Context, log *slog.Logger, stderr io.Writer, o migrateOptions, dir string, base *runreport.Report) (*runreport.Report, error) {
	c, baseURL, err := tenantOptions{o.Tenant, o.ClientID, o.ClientSecretFile}.client(log)
	if err != nil {
		return nil, err
	}
	connID := o.ConnectionID
	if connID == "" {
		conn, err := c.ConnectionByName(ctx, o.Connection)
		if err != nil {
			return nil, fmt.Errorf("connection %q: %w", o.Connection, err)
		}
		connID = conn.ID
	} else if _, err := c.Connection(ctx, connID); err != nil {
		return nil, fmt.Errorf("connection %s: %w", connID, err)
	}
	rep, err := auth0.Upload(ctx, auth0.Config{
		Dir: dir, API: c, ConnectionID: connID, Target: baseURL + " " + connID,
		Upsert: o.Upsert, SendCompletionEmail: o.SendCompletionEmail, ExternalID: o.ExternalID, MaxJobs: o.MaxJobs, PollMin: o.PollMin,
		Logf:  func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) },
		Fault: uploadFault(),
	}, base)
	if err != nil {
		return nil, err
	}
	var inserted, updated, failed int
	for _, j := range rep.Jobs {
		if jr, ok := j.(auth0.JobReport); ok && jr.Summary != nil {
			inserted, updated, failed = inserted+jr.Summary.Inserted, updated+jr.Summary.Updated, failed+jr.Summary.Failed
		}
	}
	fmt.Fprintf(stderr, "uploaded %d files to %s: inserted %d, updated %d, failed %d\n", len(rep.Jobs), baseURL, inserted, updated, failed)
	return rep, nil
}
