package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/pipeline"
)

// newJobsCmd is `usher jobs status|errors|wait JOB_ID`: operators look at an Auth0 job.
func newJobsCmd(log *slog.Logger, stdout io.Writer) *cobra.Command {
	var t tenantOptions
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "jobs status|errors|wait JOB_ID --tenant D --client-id ID [--client-secret-file F]",
		Short: "Show an Auth0 job, its per-user errors, or wait for it to end",
		Long: `jobs talks to the Management API of --tenant:

  status JOB_ID   prints the job (GET /api/v2/jobs/{id}) as JSON
  errors JOB_ID   prints its per-user errors, one JSON object per line (nothing when there are none)
  wait JOB_ID     polls the job until it ends, then prints it; exit status 1 if it failed

The client secret comes from --client-secret-file or $` + clientSecretEnv + `.`,
		Example: `  usher jobs status job_abc123 --tenant acme.eu.auth0.com --client-id X --client-secret-file secret`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			verb, id := args[0], args[1]
			if verb != "status" && verb != "errors" && verb != "wait" {
				return usagef("jobs %q: want status, errors or wait", verb)
			}
			if t.Tenant == "" || t.ClientID == "" {
				return usagef("jobs needs --tenant and --client-id")
			}
			c, _, err := t.client(log)
			if err != nil {
				return err
			}
			return runJobs(cmd.Context(), c, stdout, verb, id, every)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&t.Tenant, "tenant", "", "Auth0 tenant domain or base URL")
	fs.StringVar(&t.ClientID, "client-id", "", "client id of the machine-to-machine application")
	fs.StringVar(&t.ClientSecretFile, "client-secret-file", "", "file holding its client secret (else $"+clientSecretEnv+")")
	fs.DurationVar(&every, "every", 2*time.Second, "wait: how often to look at the job")
	return cmd
}

func runJobs(ctx context.Context, c *auth0api.Client, stdout io.Writer, verb, id string, every time.Duration) error {
	printJSON := func(v any) error {
		b, err := pipeline.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	switch verb {
	case "errors":
		errs, job, err := c.JobErrors(ctx, id)
		if err != nil {
			return err
		}
		if job != nil {
			return printJSON(job.Raw)
		}
		for _, e := range errs {
			if err := printJSON(map[string]any{"user": pipeline.Redact(e.User), "errors": e.Errors}); err != nil {
				return err
			}
		}
		return nil
	case "wait":
		for {
			job, err := c.Job(ctx, id)
			if err != nil {
				return err
			}
			if job.Terminal() {
				if err := printJSON(job.Raw); err != nil {
					return err
				}
				if job.Status != "completed" {
					return fmt.Errorf("job %s %s: %s", id, job.Status, job.StatusDetails)
				}
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(every):
			}
		}
	}
	job, err := c.Job(ctx, id)
	if err != nil {
		return err
	}
	return printJSON(job.Raw)
}
