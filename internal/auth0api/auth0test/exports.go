package auth0test

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// Default export fields when a users-exports request gives none (Auth0 does not list its
// predefined set; these are the normalized profile's fields). CSV leaves out whole objects,
// which CSV exports cannot hold, and takes the connection name instead.
var (
	DefaultJSONExportFields = []ExportField{
		{Name: "user_id"}, {Name: "email"}, {Name: "email_verified"}, {Name: "username"},
		{Name: "phone_number"}, {Name: "phone_verified"}, {Name: "given_name"}, {Name: "family_name"},
		{Name: "name"}, {Name: "nickname"}, {Name: "picture"}, {Name: "blocked"},
		{Name: "created_at"}, {Name: "updated_at"}, {Name: "identities"},
		{Name: "app_metadata"}, {Name: "user_metadata"},
	}
	DefaultCSVExportFields = []ExportField{
		{Name: "user_id"}, {Name: "email"}, {Name: "email_verified"}, {Name: "username"},
		{Name: "phone_number"}, {Name: "phone_verified"}, {Name: "given_name"}, {Name: "family_name"},
		{Name: "name"}, {Name: "nickname"}, {Name: "picture"}, {Name: "blocked"},
		{Name: "created_at"}, {Name: "updated_at"}, {Name: "identities[0].connection"},
	}
)

// generatedDates are the Auth0-generated ISO 8601 dates CSV exports leave unescaped.
var generatedDates = []string{"created_at", "updated_at", "last_login", "last_password_reset"}

// secretFields are never exported.
var secretFields = []string{"password_hash", "custom_password_hash", "mfa_factors"}

// createExport serves POST /api/v2/jobs/users-exports. The JSON body (empty means {}) may hold
// connection_id (omitted: every connection), format "json" (default) or "csv", limit (≥ 1) and
// fields [{name, export_as?}] (names and export_as at most 100 characters); anything else is 400
// "Payload validation error". A CSV export takes at most MaxCSVFields fields and no whole
// app_metadata or user_metadata. The answer is 200 with the job.
func (s *Server) createExport(w http.ResponseWriter, r *http.Request, _ string) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" && r.ContentLength != 0 {
		s.count(func(st *Stats) { st.BadRequests++ })
		writeJSON(w, http.StatusUnsupportedMediaType, apiErrorBody(http.StatusUnsupportedMediaType, "Unsupported Media Type", ""))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	var v any = map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		if v, err = decodeJSON(body); err != nil {
			s.badRequest(w, "Invalid request payload JSON format", "")
			return
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		s.badRequest(w, payloadError("Expected type object but found type "+jsonType(v), ""), "invalid_body")
		return
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains([]string{"connection_id", "format", "limit", "fields"}, k) {
			s.badRequest(w, payloadError("Additional properties not allowed: "+k, ""), "invalid_body")
			return
		}
		if m[k] == nil { // null is taken as absent
			delete(m, k)
		}
	}
	bad := func(msg, prop string) { s.badRequest(w, payloadError(msg, prop), "invalid_body") }
	connID, format, limit := "", "json", 0
	if x, ok := m["connection_id"]; ok {
		sv, isStr := x.(string)
		switch {
		case !isStr:
			bad("Expected type string but found type "+jsonType(x), "connection_id")
			return
		case !connIDPattern.MatchString(sv):
			bad(patternMsg(connIDPattern.String(), sv), "connection_id")
			return
		}
		connID = sv
	}
	if x, ok := m["format"]; ok {
		sv, isStr := x.(string)
		switch {
		case !isStr:
			bad("Expected type string but found type "+jsonType(x), "format")
			return
		case sv != "json" && sv != "csv":
			bad("No enum match for: "+strconv.Quote(sv), "format")
			return
		}
		format = sv
	}
	if x, ok := m["limit"]; ok {
		n, isInt := integer(x)
		switch {
		case !isInt:
			bad("Expected type integer but found type "+jsonType(x), "limit")
			return
		case n < 1:
			bad("Value "+strconv.FormatInt(n, 10)+" is less than minimum 1", "limit")
			return
		}
		limit = int(min(n, math.MaxInt32))
	}
	var fields []ExportField
	_, fieldsGiven := m["fields"]
	if fieldsGiven {
		arr, isArr := m["fields"].([]any)
		if !isArr {
			bad("Expected type array but found type "+jsonType(m["fields"]), "fields")
			return
		}
		for i, item := range arr {
			prop := "fields[" + strconv.Itoa(i) + "]"
			fm, isObj := item.(map[string]any)
			if !isObj {
				bad("Expected type object but found type "+jsonType(item), prop)
				return
			}
			var f ExportField
			for _, k := range sortedKeys(fm) {
				sv, isStr := fm[k].(string)
				switch {
				case k != "name" && k != "export_as":
					bad("Additional properties not allowed: "+k, prop)
					return
				case !isStr:
					bad("Expected type string but found type "+jsonType(fm[k]), prop+"."+k)
					return
				case jsLen(sv) > 100:
					bad("String is too long ("+strconv.Itoa(jsLen(sv))+" chars), maximum 100", prop+"."+k)
					return
				case k == "name":
					f.Name = sv
				default:
					f.ExportAs = sv
				}
			}
			if _, has := fm["name"]; !has {
				bad("Missing required property: name", prop)
				return
			}
			fields = append(fields, f)
		}
	}
	if format == "csv" {
		if len(fields) > MaxCSVFields {
			s.badRequest(w, "CSV exports are limited to "+strconv.Itoa(MaxCSVFields)+" fields", "")
			return
		}
		for _, f := range fields {
			if f.Name == "app_metadata" || f.Name == "user_metadata" {
				s.badRequest(w, "CSV exports cannot include "+f.Name+" as a single object; name its fields instead, or export JSON", "")
				return
			}
		}
	}
	now := s.now()
	s.mu.Lock()
	var c *conn
	if connID != "" {
		if c = s.connByID[connID]; c == nil {
			s.mu.Unlock()
			s.badRequest(w, MsgConnectionNotFound, "")
			return
		}
	}
	s.advance(now)
	j := s.newJob(typeExport, c, now, len(s.exportUsers(c, limit)))
	j.format, j.limit, j.fields, j.fieldsGiven = format, limit, fields, fieldsGiven
	s.stats.ExportJobs++
	out := s.created(j, now, s.base(r))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// exportUsers lists the users an export covers, in creation order. Callers hold s.mu.
func (s *Server) exportUsers(c *conn, limit int) []*tuser {
	var users []*tuser
	if c != nil {
		users = slices.Clone(c.store.users)
	} else {
		for _, cn := range s.conns {
			users = append(users, cn.store.users...)
		}
		slices.SortFunc(users, func(a, b *tuser) int { return int(a.seq - b.seq) })
	}
	if limit > 0 && len(users) > limit {
		users = users[:limit]
	}
	return users
}

// runExport writes a finished export's file (gzip NDJSON or gzip CSV). Callers hold s.mu.
func (s *Server) runExport(j *job) {
	users := s.exportUsers(j.conn, j.limit)
	fields := j.fields
	if !j.fieldsGiven {
		fields = DefaultJSONExportFields
		if j.format == "csv" {
			fields = DefaultCSVExportFields
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if j.format == "csv" {
		cols := make([]string, len(fields))
		for i, f := range fields {
			cols[i] = csvHeader(columnName(f))
		}
		io.WriteString(zw, strings.Join(cols, ",")+"\n")
	}
	for _, u := range users {
		view := exportView(u.profile)
		if j.format == "csv" {
			cells := make([]string, len(fields))
			for i, f := range fields {
				v, ok := lookup(view, f.Name)
				cells[i] = csvCell(f.Name, v, ok)
			}
			io.WriteString(zw, strings.Join(cells, ",")+"\n")
			continue
		}
		line := []byte{'{'}
		first := true
		for _, f := range fields {
			v, ok := lookup(view, f.Name)
			if !ok {
				continue
			}
			if !first {
				line = append(line, ',')
			}
			first = false
			line = append(line, mustMarshal(columnName(f))...)
			line = append(line, ':')
			line = append(line, mustMarshal(v)...)
		}
		line = append(line, '}', '\n')
		zw.Write(line)
	}
	zw.Close()
	j.file, j.nExported = buf.Bytes(), len(users)
}

func columnName(f ExportField) string {
	if f.ExportAs != "" {
		return f.ExportAs
	}
	return f.Name
}

// exportView is a profile without its password material.
func exportView(p map[string]any) map[string]any {
	v := make(map[string]any, len(p))
	for k, x := range p {
		if !slices.Contains(secretFields, k) {
			v[k] = x
		}
	}
	return v
}

// lookup resolves a field path such as "email", "user_metadata.consent.given" or
// "identities[0].connection".
func lookup(v any, path string) (any, bool) {
	for _, seg := range strings.Split(path, ".") {
		key, rest, _ := strings.Cut(seg, "[")
		if key != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[key]; !ok {
				return nil, false
			}
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, false
			}
			n, err := strconv.Atoi(idx)
			a, isArr := v.([]any)
			if err != nil || !isArr || n < 0 || n >= len(a) {
				return nil, false
			}
			v = a[n]
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return v, true
}

// csvHeader quotes a column name when CSV needs it.
func csvHeader(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") || strings.TrimSpace(s) != s {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// csvCell renders one CSV value with Auth0's OWASP escaping: a string is prefixed with ', its
// double quotes doubled and the whole wrapped in double quotes, except Auth0-generated ISO 8601
// dates; numbers and booleans are written as they are, objects and arrays as escaped JSON
// text, missing values and null as nothing.
func csvCell(name string, v any, ok bool) string {
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		if slices.Contains(generatedDates, name) {
			if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return x
			}
		}
		return `"'` + strings.ReplaceAll(x, `"`, `""`) + `"`
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return string(x)
	}
	return `"'` + strings.ReplaceAll(string(mustMarshal(v)), `"`, `""`) + `"`
}

// ---------------------------------------------------------------------------------------------
// Download links.

// link is one signed download URL.
type link struct {
	job     string
	expires time.Time
}

func (s *Server) exportFileName(j *job) string {
	return s.o.Tenant + "." + j.format + ".gz"
}

// newLink makes a download URL for a finished export, valid ExportLinkTTL. Callers hold s.mu.
func (s *Server) newLink(j *job, now time.Time, base string) string {
	if len(s.links) >= 256 {
		for k, l := range s.links {
			if !now.Before(l.expires) {
				delete(s.links, k)
			}
		}
	}
	sig := randomToken(16)
	exp := now.Add(s.o.ExportLinkTTL)
	s.links[sig] = link{job: j.id, expires: exp}
	expSec := exp.Unix()
	if exp.Nanosecond() > 0 {
		expSec++
	}
	return base + "/exports/" + j.id + "/" + s.exportFileName(j) + "?Expires=" + strconv.FormatInt(expSec, 10) + "&Signature=" + sig
}

// download serves GET /exports/{job}/{file}?Expires=…&Signature=…: the gzip file, or 403 (XML,
// as the storage behind Auth0's links answers) for an unknown signature or an expired link, 404
// for a job past retention.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/exports/"), "/")
	now := s.now()
	s.mu.Lock()
	s.advance(now)
	l, known := s.links[r.URL.Query().Get("Signature")]
	var j *job
	if known && len(parts) == 2 && parts[0] == l.job {
		j = s.jobByID[l.job]
	}
	var file []byte
	status, msg := http.StatusOK, ""
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		status, msg = http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."
	case j == nil:
		status, msg = http.StatusForbidden, "Access Denied"
	case s.gone(j, now) || parts[1] != s.exportFileName(j):
		status, msg = http.StatusNotFound, "The specified key does not exist."
		s.stats.NotFound++
	case !now.Before(l.expires):
		status, msg = http.StatusForbidden, "Request has expired"
		s.stats.ExpiredLinks++
	default:
		file = j.file
		s.stats.Downloads++
	}
	s.mu.Unlock()
	if status != http.StatusOK {
		code := map[int]string{403: "AccessDenied", 404: "NoSuchKey", 405: "MethodNotAllowed"}[status]
		body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>" + code + "</Code><Message>" + msg + "</Message></Error>"
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		io.WriteString(w, body)
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+parts[1]+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(file)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(file)
	}
}
