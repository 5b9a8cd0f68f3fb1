package auth0api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// decodeJSON decodes one JSON value into v with numbers kept as json.Number. Invalid JSON
// (truncated or damaged in transit) wraps errBadJSON; valid JSON of an unexpected shape does
// not.
func decodeJSON(b []byte, v any) error {
	if !json.Valid(b) {
		return fmt.Errorf("%w (%d bytes)", errBadJSON, len(b))
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("unexpected JSON: %w", err)
	}
	return nil
}

// flexInt accepts a JSON number (fractions truncated), a numeric string or null.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(uq)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(clampInt(float64(n)))
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("not a number: %.40s", s)
	}
	*f = flexInt(clampInt(x))
	return nil
}

func clampInt(x float64) int {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= math.MaxInt32:
		return math.MaxInt32
	case x <= math.MinInt32:
		return math.MinInt32
	}
	return int(x)
}

// flexBool accepts true/false, "true"/"false" and null.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.TrimSpace(string(b)) {
	case "true", `"true"`:
		*f = true
	case "false", `"false"`, "null", `""`:
		*f = false
	default:
		return fmt.Errorf("not a boolean: %.40s", b)
	}
	return nil
}

// flexString accepts a string, a number (its text) or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
	case strings.HasPrefix(s, `"`):
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = flexString(v)
	case s == "true" || s == "false" || (s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9')):
		*f = flexString(s)
	default:
		return fmt.Errorf("not a string: %.40s", s)
	}
	return nil
}

type jobWire struct {
	ID                  flexString `json:"id"`
	Type                flexString `json:"type"`
	Status              flexString `json:"status"`
	ConnectionID        flexString `json:"connection_id"`
	Connection          flexString `json:"connection"`
	ExternalID          flexString `json:"external_id"`
	StatusDetails       flexString `json:"status_details"`
	Location            flexString `json:"location"`
	Format              flexString `json:"format"`
	CreatedAt           flexString `json:"created_at"`
	PercentageDone      flexInt    `json:"percentage_done"`
	TimeLeftSeconds     flexInt    `json:"time_left_seconds"`
	Upsert              flexBool   `json:"upsert"`
	SendCompletionEmail flexBool   `json:"send_completion_email"`
	Summary             *struct {
		Failed   flexInt `json:"failed"`
		Updated  flexInt `json:"updated"`
		Inserted flexInt `json:"inserted"`
		Total    flexInt `json:"total"`
	} `json:"summary"`
}

// decodeJob decodes a job object. Raw is a copy of b without surrounding white space.
func decodeJob(b []byte) (Job, error) {
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return Job{}, fmt.Errorf("%w (%d bytes)", errBadJSON, len(b))
	}
	if len(b) == 0 || b[0] != '{' {
		return Job{}, errors.New("unexpected JSON: the job is not an object")
	}
	var w jobWire
	if err := decodeJSON(b, &w); err != nil {
		return Job{}, err
	}
	j := Job{
		ID: string(w.ID), Type: string(w.Type), Status: string(w.Status),
		ConnectionID: string(w.ConnectionID), Connection: string(w.Connection),
		ExternalID: string(w.ExternalID), StatusDetails: string(w.StatusDetails),
		Location: string(w.Location), Format: string(w.Format), CreatedAt: string(w.CreatedAt),
		PercentageDone: int(w.PercentageDone), TimeLeftSeconds: int(w.TimeLeftSeconds),
		Upsert: bool(w.Upsert), SendCompletionEmail: bool(w.SendCompletionEmail),
		Raw: bytes.Clone(b),
	}
	if s := w.Summary; s != nil {
		j.Summary = &Summary{Failed: int(s.Failed), Updated: int(s.Updated), Inserted: int(s.Inserted), Total: int(s.Total)}
	}
	return j, nil
}

// decodeJobErrors decodes a 200 body of GET /api/v2/jobs/{id}/errors, which is either an
// array of {"user":{…},"errors":[{"code","message","path"}]} or a job object. An empty body or
// null means no errors (nil, nil, nil). Items are read leniently: a "user" that is not an
// object gives User nil, an "errors" object is one detail, a string detail is its Message,
// numbers in code/message/path are kept as their text. It never panics.
func decodeJobErrors(b []byte) ([]UserError, *Job, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil, nil, nil
	}
	if !json.Valid(b) {
		return nil, nil, fmt.Errorf("%w (%d bytes)", errBadJSON, len(b))
	}
	switch b[0] {
	case '{':
		j, err := decodeJob(b)
		if err != nil {
			return nil, nil, err
		}
		return nil, &j, nil
	case '[':
	default:
		return nil, nil, errors.New("unexpected JSON: the errors answer is neither an array nor a job object")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, nil, fmt.Errorf("unexpected JSON: %w", err)
	}
	out := make([]UserError, 0, len(items))
	for i, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) == 0 || it[0] != '{' {
			return nil, nil, fmt.Errorf("unexpected JSON: errors item %d is not an object", i)
		}
		var w struct {
			User   json.RawMessage `json:"user"`
			Errors json.RawMessage `json:"errors"`
		}
		if err := json.Unmarshal(it, &w); err != nil {
			return nil, nil, fmt.Errorf("unexpected JSON: errors item %d: %w", i, err)
		}
		var ue UserError
		if u := bytes.TrimSpace(w.User); len(u) > 0 && u[0] == '{' {
			d := json.NewDecoder(bytes.NewReader(u))
			d.UseNumber()
			if err := d.Decode(&ue.User); err != nil {
				return nil, nil, fmt.Errorf("unexpected JSON: errors item %d user: %w", i, err)
			}
		}
		details, err := decodeDetails(w.Errors)
		if err != nil {
			return nil, nil, fmt.Errorf("unexpected JSON: errors item %d: %w", i, err)
		}
		ue.Errors = details
		out = append(out, ue)
	}
	return out, nil, nil
}

func decodeDetails(raw json.RawMessage) ([]UserErrorDetail, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []json.RawMessage
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
	} else {
		list = []json.RawMessage{raw}
	}
	out := make([]UserErrorDetail, 0, len(list))
	for _, e := range list {
		e = bytes.TrimSpace(e)
		switch {
		case len(e) > 0 && e[0] == '{':
			var d struct {
				Code    json.RawMessage `json:"code"`
				Message json.RawMessage `json:"message"`
				Path    json.RawMessage `json:"path"`
			}
			if err := json.Unmarshal(e, &d); err != nil {
				return nil, err
			}
			out = append(out, UserErrorDetail{Code: looseString(d.Code), Message: looseString(d.Message), Path: looseString(d.Path)})
		case len(e) > 0 && string(e) != "null":
			out = append(out, UserErrorDetail{Message: looseString(e)})
		}
	}
	return out, nil
}

// looseString is a JSON string's value, null or absent as "", anything else as its compact
// JSON text.
func looseString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

type connectionWire struct {
	ID             flexString      `json:"id"`
	Name           flexString      `json:"name"`
	DisplayName    *string         `json:"display_name"`
	Strategy       flexString      `json:"strategy"`
	EnabledClients json.RawMessage `json:"enabled_clients"`
	Options        json.RawMessage `json:"options"`
}

// decodeConnection decodes one connection object; hasEnabled reports whether the object has an
// "enabled_clients" array (the field is deprecated and may be absent).
func decodeConnection(b []byte) (conn Connection, hasEnabled bool, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return Connection{}, false, errors.New("unexpected JSON: the connection is not an object")
	}
	var w connectionWire
	if err := decodeJSON(b, &w); err != nil {
		return Connection{}, false, err
	}
	conn = Connection{ID: string(w.ID), Name: string(w.Name), Strategy: string(w.Strategy), DisplayName: w.DisplayName, Raw: bytes.Clone(b)}
	if ec := bytes.TrimSpace(w.EnabledClients); len(ec) > 0 && ec[0] == '[' {
		hasEnabled = true
		var ids []flexString
		if err := json.Unmarshal(ec, &ids); err != nil {
			return Connection{}, false, fmt.Errorf("unexpected JSON: enabled_clients: %w", err)
		}
		conn.EnabledClients = make([]string, 0, len(ids))
		for _, id := range ids {
			if id != "" {
				conn.EnabledClients = append(conn.EnabledClients, string(id))
			}
		}
	}
	if o := bytes.TrimSpace(w.Options); len(o) > 0 && o[0] == '{' {
		d := json.NewDecoder(bytes.NewReader(o))
		d.UseNumber()
		if err := d.Decode(&conn.Options); err != nil {
			return Connection{}, false, fmt.Errorf("unexpected JSON: options: %w", err)
		}
	}
	return conn, hasEnabled, nil
}
