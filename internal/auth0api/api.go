package auth0api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Management API paths.
const (
	connectionsPath   = "/api/v2/connections"
	jobsPath          = "/api/v2/jobs"
	usersImportsPath  = "/api/v2/jobs/users-imports"
	usersExportsPath  = "/api/v2/jobs/users-exports"
	databaseStrategy  = "auth0"
	defaultImportFile = "users.json"
)

func (c *Client) api(method, p string) request {
	return request{method: method, url: c.cfg.BaseURL + p, path: p, auth: true, mgmt: true}
}

// ConnectionByName finds the database connection named name: GET
// /api/v2/connections?name=…&strategy=auth0 (scope read:connections). It is an error, saying
// which, when there is no connection of that name, when the connection is not a database
// connection (strategy other than "auth0"; found by a second lookup without the strategy
// filter), or when it is enabled for no application (an empty enabled_clients list). Tenants
// that no longer return the deprecated enabled_clients field are not checked for it (a line
// goes to Logf). API failures are *APIError values as for every call.
func (c *Client) ConnectionByName(ctx context.Context, name string) (Connection, error) {
	if strings.TrimSpace(name) == "" {
		return Connection{}, errors.New("auth0: empty connection name")
	}
	conns, err := c.listConnections(ctx, name, databaseStrategy)
	if err != nil {
		return Connection{}, err
	}
	if len(conns) == 0 {
		others, err := c.listConnections(ctx, name, "")
		if err != nil {
			return Connection{}, err
		}
		if len(others) > 0 {
			return Connection{}, fmt.Errorf("auth0: connection %q is not a database connection (strategy %q, want %q); users can only be imported into a database connection",
				name, others[0].conn.Strategy, databaseStrategy)
		}
		return Connection{}, fmt.Errorf("auth0: no connection named %q in the tenant (check the name; it is case-sensitive)", name)
	}
	found := conns[0]
	if found.conn.Strategy != databaseStrategy {
		return Connection{}, fmt.Errorf("auth0: connection %q is not a database connection (strategy %q, want %q); users can only be imported into a database connection",
			name, found.conn.Strategy, databaseStrategy)
	}
	if found.conn.ID == "" {
		return Connection{}, fmt.Errorf("auth0: connection %q has no id in Auth0's answer", name)
	}
	switch {
	case !found.hasEnabled:
		c.logf("auth0: connection %q: the tenant did not return enabled_clients; not checking that it is enabled", name)
	case len(found.conn.EnabledClients) == 0:
		return Connection{}, fmt.Errorf("auth0: connection %q (%s) is not enabled for any application; enable it in the Dashboard (Authentication > Database > %s > Applications) before importing",
			name, found.conn.ID, name)
	}
	return found.conn, nil
}

type listedConnection struct {
	conn       Connection
	hasEnabled bool
}

// listConnections returns the connections named exactly name (and of strategy, when set).
func (c *Client) listConnections(ctx context.Context, name, strategy string) ([]listedConnection, error) {
	q := url.Values{"name": {name}}
	if strategy != "" {
		q.Set("strategy", strategy)
	}
	r := c.api(http.MethodGet, connectionsPath)
	r.url += "?" + q.Encode()
	r.classify = func(e *APIError) {
		if e.StatusCode == http.StatusForbidden {
			e.scopes = "looking a connection up by name needs the scope " + ScopeReadConnections
		}
	}
	var out []listedConnection
	r.decode = func(_ int, b []byte) error {
		out = nil
		b = bytes.TrimSpace(b)
		if !json.Valid(b) {
			return fmt.Errorf("%w (%d bytes)", errBadJSON, len(b))
		}
		var items []json.RawMessage
		if len(b) > 0 && b[0] == '{' { // include_totals shape {"connections":[…],…}
			var w struct {
				Connections []json.RawMessage `json:"connections"`
			}
			if err := json.Unmarshal(b, &w); err != nil {
				return fmt.Errorf("unexpected JSON: %w", err)
			}
			items = w.Connections
		} else if err := json.Unmarshal(b, &items); err != nil {
			return fmt.Errorf("unexpected JSON: %w", err)
		}
		for _, it := range items {
			conn, has, err := decodeConnection(it)
			if err != nil {
				return err
			}
			if conn.Name == name && (strategy == "" || conn.Strategy == strategy) {
				out = append(out, listedConnection{conn, has})
			}
		}
		return nil
	}
	if _, err := c.do(ctx, r); err != nil {
		return nil, err
	}
	return out, nil
}

// Connection gets the connection with the given id: GET /api/v2/connections/{id} (scope
// read:connections). A 404 is a fatal *APIError.
func (c *Client) Connection(ctx context.Context, id string) (Connection, error) {
	if id == "" {
		return Connection{}, errors.New("auth0: empty connection id")
	}
	r := c.api(http.MethodGet, connectionsPath+"/"+url.PathEscape(id))
	r.classify = func(e *APIError) {
		if e.StatusCode == http.StatusNotFound {
			e.kind = kindNotFound
		}
	}
	return c.doConnection(ctx, r)
}

// ImportUsers starts a users-imports job: POST /api/v2/jobs/users-imports (scope
// create:users) as multipart/form-data with the parts connection_id, upsert ("true"/"false"),
// external_id (only when set), send_completion_email ("true"/"false", always sent: Auth0's
// default is true) and the file part "users" (filename r.Filename, default "users.json";
// Content-Type application/json) holding r.Users unchanged. It returns the job of any 2xx
// answer (Auth0 documents 202).
//
// A 429 whose message says there are active import jobs returns at once an *APIError
// matching ErrTooManyJobs (the caller waits for a running job to finish); a 413 returns one
// matching ErrTooLarge; other 4xx are permanent *APIError values (400 messages such as
// "Connection must be enabled" are Auth0's). Other 429s, 5xx and network errors are retried
// with the same body. A 2xx whose body cannot be read or decoded is not re-sent (the job
// exists); its error says so. The error never contains the users file.
func (c *Client) ImportUsers(ctx context.Context, r ImportRequest) (Job, error) {
	if r.ConnectionID == "" {
		return Job{}, errors.New("auth0: ImportRequest.ConnectionID is required")
	}
	if len(bytes.TrimSpace(r.Users)) == 0 {
		return Job{}, errors.New("auth0: ImportRequest.Users is empty")
	}
	body, ctype, err := importBody(r)
	if err != nil {
		return Job{}, err
	}
	req := c.api(http.MethodPost, usersImportsPath)
	req.body, req.contentType, req.once = body, ctype, true
	req.classify = func(e *APIError) {
		if e.StatusCode == http.StatusTooManyRequests && isTooManyJobs(e) {
			e.kind = kindTooManyJobs
		}
	}
	return c.doJob(ctx, req)
}

// isTooManyJobs recognises Auth0's "There are 2 active import users jobs, please wait until
// some of them are finished and try again" (and error codes naming too many jobs).
func isTooManyJobs(e *APIError) bool {
	msg, code := strings.ToLower(e.Message), strings.ToLower(e.Code)
	if strings.Contains(code, "job") {
		return true
	}
	return strings.Contains(msg, "job") && (strings.Contains(msg, "active") || strings.Contains(msg, "concurrent") || strings.Contains(msg, "pending"))
}

// importBody builds the multipart body of a users-imports request.
func importBody(r ImportRequest) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields := [][2]string{
		{"connection_id", r.ConnectionID},
		{"upsert", strconv.FormatBool(r.Upsert)},
	}
	if r.ExternalID != "" {
		fields = append(fields, [2]string{"external_id", r.ExternalID})
	}
	fields = append(fields, [2]string{"send_completion_email", strconv.FormatBool(r.SendCompletionEmail)})
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return nil, "", fmt.Errorf("auth0: building the users-imports body: %w", err)
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="users"; filename="`+quoteFilename(importFilename(r.Filename))+`"`)
	h.Set("Content-Type", "application/json")
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(r.Users)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return nil, "", fmt.Errorf("auth0: building the users-imports body: %w", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// importFilename is the base name of name with control characters dropped, default
// "users.json".
func importFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		return defaultImportFile
	}
	return name
}

var filenameQuoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func quoteFilename(s string) string { return filenameQuoter.Replace(s) }

// Job gets a job: GET /api/v2/jobs/{id} (scope create:users or read:users).
func (c *Client) Job(ctx context.Context, id string) (Job, error) {
	if id == "" {
		return Job{}, errors.New("auth0: empty job id")
	}
	r := c.api(http.MethodGet, jobsPath+"/"+url.PathEscape(id))
	return c.doJob(ctx, r)
}

// JobErrors gets the failed users of an import job: GET /api/v2/jobs/{id}/errors (scope
// create:users or read:users). A 204 (or an empty 200) gives nil, nil, nil. A 200 array gives
// one UserError per failed user, the user object as Auth0 echoes it (numbers kept exact as
// json.Number, redacted values such as "*****" as sent). A 200 job object (Auth0's answer for
// a job-level failure) gives nil, &job, nil.
func (c *Client) JobErrors(ctx context.Context, id string) ([]UserError, *Job, error) {
	if id == "" {
		return nil, nil, errors.New("auth0: empty job id")
	}
	r := c.api(http.MethodGet, jobsPath+"/"+url.PathEscape(id)+"/errors")
	var (
		errs []UserError
		job  *Job
	)
	r.decode = func(status int, b []byte) (err error) {
		if status == http.StatusNoContent {
			errs, job = nil, nil
			return nil
		}
		errs, job, err = decodeJobErrors(b)
		return err
	}
	if _, err := c.do(ctx, r); err != nil {
		return nil, nil, err
	}
	return errs, job, nil
}

// ExportUsers starts a users-exports job: POST /api/v2/jobs/users-exports (scope read:users)
// with the JSON body {"connection_id","format","limit","fields":[{"name","export_as"}]}, each
// member sent only when set. It returns the job of any 2xx answer. Retried like every call (a
// second export job is harmless).
func (c *Client) ExportUsers(ctx context.Context, r ExportRequest) (Job, error) {
	type field struct {
		Name     string `json:"name"`
		ExportAs string `json:"export_as,omitempty"`
	}
	body := struct {
		ConnectionID string  `json:"connection_id,omitempty"`
		Format       string  `json:"format,omitempty"`
		Limit        int     `json:"limit,omitempty"`
		Fields       []field `json:"fields,omitempty"`
	}{ConnectionID: r.ConnectionID, Format: r.Format, Limit: max(r.Limit, 0)}
	for _, f := range r.Fields {
		if f.Name == "" {
			return Job{}, errors.New("auth0: ExportField.Name is required")
		}
		body.Fields = append(body.Fields, field(f))
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Job{}, fmt.Errorf("auth0: encoding the users-exports body: %w", err)
	}
	req := c.api(http.MethodPost, usersExportsPath)
	req.body, req.contentType = b, "application/json"
	return c.doJob(ctx, req)
}

// Download GETs an export job's location (a signed URL) WITHOUT the Authorization header and
// returns the body as stored (a gzip file; no transparent decompression); the caller closes
// it. 429, 5xx and network errors before the body starts are retried like every call; a read
// error while streaming is returned by Read (fetch the job again for a fresh location: links
// are valid for 60 s). Errors name the host and path only, never the signature in the query.
func (c *Client) Download(ctx context.Context, location string) (io.ReadCloser, error) {
	u, err := url.Parse(location)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("auth0: export location is not an absolute http(s) URL")
	}
	resp, err := c.do(ctx, request{
		method: http.MethodGet, url: location, path: u.Scheme + "://" + u.Host + u.EscapedPath(), stream: true,
	})
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}

// UsersByEmail finds the tenant's users with an email address: GET /api/v2/users-by-email
// (scope read:users). Each user is the profile Auth0 returns (user_id with its "auth0|" prefix,
// created_at, identities, …), numbers kept exact; none found is an empty slice.
func (c *Client) UsersByEmail(ctx context.Context, email string) ([]map[string]any, error) {
	r := c.api(http.MethodGet, "/api/v2/users-by-email?email="+url.QueryEscape(email))
	r.path = "/api/v2/users-by-email" // errors and logs never carry the address
	var users []map[string]any
	r.decode = func(_ int, b []byte) error {
		users = nil
		return decodeJSON(b, &users)
	}
	if _, err := c.do(ctx, r); err != nil {
		return nil, err
	}
	return users, nil
}

// doJob sends r and decodes the job object it answers.
func (c *Client) doJob(ctx context.Context, r request) (Job, error) {
	var job Job
	r.decode = func(_ int, b []byte) (err error) {
		job, err = decodeJob(b)
		return err
	}
	if _, err := c.do(ctx, r); err != nil {
		return Job{}, err
	}
	return job, nil
}

// doConnection sends r, whose answer is one connection, and decodes it.
func (c *Client) doConnection(ctx context.Context, r request) (Connection, error) {
	var conn Connection
	r.decode = func(_ int, b []byte) error {
		var err error
		conn, _, err = decodeConnection(b)
		return err
	}
	if _, err := c.do(ctx, r); err != nil {
		return Connection{}, err
	}
	return conn, nil
}
