package auth0test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"
)

// Messages of POST /api/v2/jobs/users-imports (Auth0's Management API spec).
const (
	MsgUsersPartMissing   = "Must provide 'users' file as multipart part"
	MsgUsersFileEmpty     = "Users file must not be empty"
	MsgConnectionMissing  = "Must provide 'connection_id' as multipart part"
	MsgConnectionNotFound = "The connection does not exist"
	MsgNotDatabase        = "Connection must be a database connection"
	MsgNotEnabled         = "Connection must be enabled"
	MsgCustomDBNoImport   = "Custom Database Connections without import mode are not allowed"
	// MsgTooLarge is the 413 message (hapi's payload limit wording, as Auth0 sends it).
	MsgTooLarge = "Payload content length greater than maximum allowed: 512000"
)

// TooManyJobsMessage is the 429 message for an import over the concurrency limit n.
func TooManyJobsMessage(n int) string {
	return fmt.Sprintf("There are %d active import users jobs, please wait until some of them are finished and try again", n)
}

// maxRequestBytes bounds what the emulator reads of any upload.
const maxRequestBytes = 8 << 20

var errTooLarge = errors.New("request body too large")

// cappedReader fails with errTooLarge once more than n bytes have been read.
type cappedReader struct {
	r io.Reader
	n int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

func (s *Server) badRequest(w http.ResponseWriter, msg, code string) {
	s.count(func(st *Stats) { st.BadRequests++ })
	writeJSON(w, http.StatusBadRequest, apiErrorBody(http.StatusBadRequest, msg, code))
}

func (s *Server) tooLarge(w http.ResponseWriter) {
	s.count(func(st *Stats) { st.TooLarge++ })
	w.Header().Set("Connection", "close")
	writeJSON(w, http.StatusRequestEntityTooLarge, apiErrorBody(http.StatusRequestEntityTooLarge, MsgTooLarge, ""))
}

// payloadError is the 400 message of a request body that fails the endpoint's schema.
func payloadError(msg, property string) string {
	if property == "" {
		return "Payload validation error: '" + msg + "'."
	}
	return "Payload validation error: '" + msg + "' on property " + property + "."
}

// importForm is the parsed multipart body of users-imports.
type importForm struct {
	users                []byte
	usersSeen, usersFile bool
	fields               map[string]string
	unknown              []string
}

// readImportForm reads the multipart body. status is 0 on success, else the error answer's
// status (413, 415 or 400) with msg.
func (s *Server) readImportForm(r *http.Request) (f importForm, status int, msg string) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return f, http.StatusUnsupportedMediaType, "Unsupported Media Type"
	}
	limit := int64(maxRequestBytes)
	if s.o.LimitWholeBody {
		if r.ContentLength > MaxUsersFileBytes {
			return f, http.StatusRequestEntityTooLarge, MsgTooLarge
		}
		limit = MaxUsersFileBytes
	}
	mr := multipart.NewReader(&cappedReader{r: r.Body, n: limit}, params["boundary"])
	f.fields = map[string]string{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTooLarge) {
			return f, http.StatusRequestEntityTooLarge, MsgTooLarge
		}
		if err != nil {
			return f, http.StatusBadRequest, "Invalid multipart payload format"
		}
		name := p.FormName()
		maxBytes := int64(64 << 10)
		if name == "users" {
			maxBytes = MaxUsersFileBytes
		}
		data, err := io.ReadAll(io.LimitReader(p, maxBytes+1))
		p.Close()
		switch {
		case errors.Is(err, errTooLarge) || int64(len(data)) > maxBytes && name == "users":
			return f, http.StatusRequestEntityTooLarge, MsgTooLarge
		case err != nil:
			return f, http.StatusBadRequest, "Invalid multipart payload format"
		}
		switch name {
		case "users":
			f.users, f.usersSeen, f.usersFile = data, true, p.FileName() != ""
		case "connection_id", "upsert", "external_id", "send_completion_email":
			f.fields[name] = string(data)
		default:
			f.unknown = append(f.unknown, name)
		}
	}
	return f, 0, ""
}

// createImport serves POST /api/v2/jobs/users-imports (see ServeHTTP for the order of checks).
func (s *Server) createImport(w http.ResponseWriter, r *http.Request, _ string) {
	f, status, msg := s.readImportForm(r)
	switch status {
	case 0:
	case http.StatusRequestEntityTooLarge:
		// Read what is left of a body of reasonable size first, so that the client, still
		// sending, gets the answer rather than a reset connection.
		io.Copy(io.Discard, io.LimitReader(r.Body, maxRequestBytes))
		s.tooLarge(w)
		return
	case http.StatusUnsupportedMediaType:
		s.count(func(st *Stats) { st.BadRequests++ })
		writeJSON(w, status, apiErrorBody(status, msg, ""))
		return
	default:
		s.badRequest(w, msg, "")
		return
	}
	if !f.usersSeen || !f.usersFile {
		s.badRequest(w, MsgUsersPartMissing, "")
		return
	}
	if len(bytes.TrimSpace(f.users)) == 0 {
		s.badRequest(w, MsgUsersFileEmpty, "")
		return
	}
	connID, ok := f.fields["connection_id"]
	if !ok {
		s.badRequest(w, MsgConnectionMissing, "")
		return
	}
	if !connIDPattern.MatchString(connID) {
		s.badRequest(w, payloadError(patternMsg(connIDPattern.String(), connID), "connection_id"), "invalid_body")
		return
	}
	bools := map[string]bool{"upsert": false, "send_completion_email": true}
	for _, k := range []string{"upsert", "send_completion_email"} {
		if v, ok := f.fields[k]; ok {
			b, valid := parseBool(v)
			if !valid {
				s.badRequest(w, payloadError("Expected type boolean but found type string", k), "invalid_body")
				return
			}
			bools[k] = b
		}
	}
	if len(f.unknown) > 0 {
		s.badRequest(w, payloadError("Additional properties not allowed: "+f.unknown[0], ""), "invalid_body")
		return
	}
	// Decode the file before taking the lock; a file that is not a JSON array fails the job
	// later, as Auth0 does.
	v, err := decodeJSON(f.users)
	arr, isArray := v.([]any)
	parseOK := err == nil && isArray

	now := s.now()
	s.mu.Lock()
	c := s.connByID[connID]
	switch {
	case c == nil:
		msg = MsgConnectionNotFound
	case c.Strategy != "auth0":
		msg = MsgNotDatabase
	case !c.Enabled:
		msg = MsgNotEnabled
	case c.CustomDatabase && !c.ImportMode:
		msg = MsgCustomDBNoImport
	}
	if msg != "" {
		s.mu.Unlock()
		s.badRequest(w, msg, "")
		return
	}
	s.advance(now)
	active := s.activeImports()
	if active >= s.o.MaxConcurrentJobs {
		s.stats.ConcurrencyLimited++
		s.mu.Unlock()
		writeJSON(w, http.StatusTooManyRequests, apiErrorBody(http.StatusTooManyRequests, TooManyJobsMessage(s.o.MaxConcurrentJobs), ""))
		return
	}
	j := s.newJob(typeImport, c, now, len(arr))
	j.upsert, j.sendEmail, j.externalID = bools["upsert"], bools["send_completion_email"], f.fields["external_id"]
	j.fileBytes, j.parsed, j.parseOK = len(f.users), arr, parseOK
	s.stats.ImportJobs++
	s.stats.MaxConcurrentJobs = max(s.stats.MaxConcurrentJobs, active+1)
	out := s.created(j, now, s.base(r))
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, out)
}

// created renders a job just created: always "pending", whatever its delays.
func (s *Server) created(j *job, now time.Time, base string) jobJSON {
	out := s.render(j, now, base)
	out.Status, out.PercentageDone, out.TimeLeftSeconds, out.Summary, out.Location, out.StatusDetails =
		StatusPending, nil, nil, nil, "", ""
	return out
}
