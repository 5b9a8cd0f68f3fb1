// Package auth0 is the "auth0" source: the users of an Auth0 tenant, for tenant moves and
// connection merges. It reads either
//
//   - users-export files (--input): the NDJSON a users-exports job writes (gzip or not), JSON
//     arrays, and CSV exports, whose columns are the fields' names ("identities[0].connection",
//     dotted metadata paths) or their export_as names ("provider" for identities[0].connection,
//     the User Import/Export extension's "Id", "Email", …), with Auth0's OWASP escaping of CSV
//     strings undone; or
//   - a live tenant, through a Management API users-exports job (POST /api/v2/jobs/users-exports,
//     format json): the job is created, waited for, and its gzip NDJSON file downloaded from the
//     job's location (a link valid 60 s: an expired one is replaced by looking at the job again).
//     The download is saved like the other live sources' fetches.
//
// Either way the option passwords names the password-hash export Auth0 support delivers, which is
// joined to the users (join.go) so that a tenant move keeps every password. Records are mapped by
// the generic mapping (Auth0's own export shape: "auth0|" is taken off user_id, read-only fields go
// under app_metadata.<namespace>, social-only users are marked for --social-only).
package auth0

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/internal/wait"
	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/live"
)

// SecretEnv holds the client secret when no client-secret-file is given.
const SecretEnv = "USHER_CLIENT_SECRET"

// Options are the source options (--auth0-<name> flags; export's --tenant, --client-id,
// --client-secret-file and --connection fill them too).
var Options = []pipeline.Option{
	{Name: "tenant", Help: "Auth0 tenant domain or base URL to export the users of (instead of --input export files)"},
	{Name: "client-id", Help: "client id of a machine-to-machine application with read:users (and read:connections with connection)"},
	{Name: "client-secret-file", Help: "file holding its client secret (else $" + SecretEnv + ")"},
	{Name: "connection", Help: "only this connection's users (by name): the live export's, and the password export's lines (others are left out)"},
	{Name: "passwords", Help: "Auth0's password-hash export (NDJSON from a support ticket, decrypted; gzip ok), joined to the users"},
	{Name: "unmatched-passwords", Help: "password-export lines that match no exported user: import (users of their own) or reject (code " + CodeNotInUsersExport + ")", Default: "import"},
}

// fileOptions are the options that apply to export files.
var fileOptions = []string{"connection", "passwords", "unmatched-passwords"}

// ExportFields are the fields the users-exports job is asked for: the whole normalized profile.
var ExportFields = []string{"user_id", "email", "email_verified", "username", "phone_number", "phone_verified",
	"given_name", "family_name", "name", "nickname", "picture", "blocked", "created_at", "updated_at",
	"last_login", "last_ip", "logins_count", "identities", "user_metadata", "app_metadata"}

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "auth0",
		Description: "Auth0 users: users-export files (NDJSON, JSON, CSV) or a live tenant, joined to the password-hash export",
		Options:     Options,
		New:         New,
		NewMapping:  pipeline.RejectFlagged(newMapping),
	})
}

// newMapping is the generic mapping, with the profile attributes an identity provider adds at
// the top level of an Auth0 user (locale, a social profile's fields) kept in user_metadata
// rather than rejected: they are the user's, and a tenant move must not lose the users who have
// them (--unknown-fields still decides when given).
func newMapping(cfg pipeline.MappingConfig) (pipeline.Mapping, error) {
	if cfg.UnknownFields == "" {
		cfg.UnknownFields = "user_metadata"
	}
	return mappings.NewGeneric(cfg)
}

// New builds the source: export files when there are --input paths, else the live tenant; with
// the passwords option, joined to the password-hash export. Errors are configuration errors; none
// contains the secret.
func New(cfg pipeline.SourceConfig) (pipeline.Source, error) {
	if err := live.CheckOptions("auth0", cfg.Options, Options, "client-secret", SecretEnv); err != nil {
		return nil, err
	}
	o := cfg.Options
	switch o["unmatched-passwords"] {
	case "", "import", "reject":
	default:
		return nil, fmt.Errorf("auth0 source: unmatched-passwords %q: want import or reject", o["unmatched-passwords"])
	}
	if o["unmatched-passwords"] != "" && o["passwords"] == "" {
		return nil, errors.New("auth0 source: unmatched-passwords needs passwords (the password-hash export)")
	}
	var users pipeline.Source
	var err error
	if len(cfg.Inputs) > 0 {
		for k := range o {
			if !slices.Contains(fileOptions, k) {
				return nil, fmt.Errorf("auth0 source: give either --input export files or a tenant to export (%s), not both", k)
			}
		}
		if users, err = newFileSource(cfg); err != nil {
			return nil, err
		}
	} else if users, err = newLive(cfg); err != nil {
		return nil, err
	}
	if o["passwords"] == "" {
		return users, nil
	}
	if st, err := os.Stat(o["passwords"]); err != nil {
		return nil, fmt.Errorf("auth0 source: passwords: %w", err)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("auth0 source: passwords %s: not a regular file", o["passwords"])
	}
	return &joinSource{inner: users, passwords: o["passwords"], connection: o["connection"],
		reject: o["unmatched-passwords"] == "reject", workDir: cfg.WorkDir,
		logf: func(format string, args ...any) { slog.Info(fmt.Sprintf(format, args...)) }}, nil
}

// newLive builds the live source: a users-exports job of the tenant.
func newLive(cfg pipeline.SourceConfig) (*live.Source, error) {
	o := cfg.Options
	if o["tenant"] == "" || o["client-id"] == "" {
		return nil, errors.New("auth0 source: needs --input export files, or tenant and client-id to export a tenant's users")
	}
	base, err := auth0api.BaseURLFor(o["tenant"])
	if err != nil {
		return nil, fmt.Errorf("auth0 source: %w", err)
	}
	sec, err := secret.Read("client secret", o["client-secret-file"], SecretEnv)
	if err != nil {
		return nil, fmt.Errorf("auth0 source: %w", err)
	}
	logf := func(format string, args ...any) { slog.Info(fmt.Sprintf(format, args...)) }
	c, err := auth0api.New(auth0api.Config{BaseURL: base, ClientID: o["client-id"], ClientSecret: sec, Logf: logf})
	if err != nil {
		return nil, fmt.Errorf("auth0 source: %w", err)
	}
	f := &fetcher{api: c, connection: o["connection"], sleep: wait.Sleep, logf: logf}
	return live.NewLive("auth0", "users", cfg.WorkDir, cfg.MaxRecordBytes, f.fetch, logf)
}

// API is what the source needs of the Management API client.
type API interface {
	ConnectionByName(ctx context.Context, name string) (auth0api.Connection, error)
	ExportUsers(ctx context.Context, r auth0api.ExportRequest) (auth0api.Job, error)
	Job(ctx context.Context, id string) (auth0api.Job, error)
	Download(ctx context.Context, location string) (io.ReadCloser, error)
}

type fetcher struct {
	api        API
	connection string
	sleep      func(ctx context.Context, d time.Duration) error
	logf       func(format string, args ...any)
}

// fetch runs the export job and hands each exported user (one NDJSON line) to emit.
func (f *fetcher) fetch(ctx context.Context, emit func([]byte) error) error {
	req := auth0api.ExportRequest{Format: "json"}
	for _, name := range ExportFields {
		req.Fields = append(req.Fields, auth0api.ExportField{Name: name})
	}
	if f.connection != "" {
		conn, err := f.api.ConnectionByName(ctx, f.connection)
		if err != nil {
			return err
		}
		req.ConnectionID = conn.ID
	}
	job, err := f.api.ExportUsers(ctx, req)
	if err != nil {
		return err
	}
	f.logf("auth0: users export job %s created", job.ID)
	const maxLinks = 5
	for attempt := 1; ; attempt++ {
		if job, err = f.waitJob(ctx, job.ID); err != nil {
			return err
		}
		if job.Status != auth0api.JobCompleted || job.Location == "" {
			return fmt.Errorf("auth0: users export job %s %s: %s", job.ID, job.Status, job.StatusDetails)
		}
		err = f.download(ctx, job.Location, emit)
		var apiErr *auth0api.APIError
		if errors.As(err, &apiErr) && (apiErr.StatusCode == 403 || apiErr.StatusCode == 404) && attempt < maxLinks {
			f.logf("auth0: the export link of job %s expired; asking the job for a fresh one", job.ID)
			continue
		}
		return err
	}
}

// waitJob polls the job until it ends, more slowly as it ages (a tenth of its age, 0.2–10 s).
func (f *fetcher) waitJob(ctx context.Context, id string) (auth0api.Job, error) {
	start := time.Now()
	for {
		job, err := f.api.Job(ctx, id)
		if err != nil || job.Terminal() {
			return job, err
		}
		if err := f.sleep(ctx, min(max(time.Since(start)/10, 200*time.Millisecond), 10*time.Second)); err != nil {
			return job, err
		}
	}
}

// download saves the gzip NDJSON file at location to a temporary file, checks it whole (gzip's
// checksum), then streams it one line per user: a link that fails halfway is retried without
// any user emitted twice, and memory stays flat whatever the tenant's size.
func (f *fetcher) download(ctx context.Context, location string, emit func([]byte) error) error {
	body, err := f.api.Download(ctx, location)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "usher-auth0-export-*.json.gz")
	if err != nil {
		body.Close()
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	_, err = io.Copy(tmp, body)
	body.Close()
	if err != nil {
		return fmt.Errorf("auth0: downloading the export file: %w", err)
	}
	if err := eachLine(tmp, func([]byte) error { return nil }); err != nil {
		return err
	}
	return eachLine(tmp, emit)
}

// eachLine reads the gzip NDJSON file f from its start and calls fn for every non-empty line.
func eachLine(f *os.File, fn func([]byte) error) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("auth0: the export file is not gzip: %w", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if line := sc.Bytes(); len(line) > 0 {
			if err := fn(line); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("auth0: reading the export file: %w", err)
	}
	return nil
}
