package gigyaapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// envelope holds the fields every Gigya answer carries.
type envelope struct {
	ErrorCode    *int   `json:"errorCode"` // required; nil means the body is not a Gigya answer
	ErrorMessage string `json:"errorMessage"`
	ErrorDetails string `json:"errorDetails"`
	CallID       string `json:"callId"`
	APIDomain    string `json:"apiDomain"` // with 301001
}

// searchResponse is one accounts.search answer. Results keep each account's bytes exactly as the
// server sent them.
type searchResponse struct {
	envelope
	Results      []json.RawMessage `json:"results"`
	NextCursorID string            `json:"nextCursorId"`
	TotalCount   int64             `json:"totalCount"`
}

// decodeSearch parses an accounts.search response body. It fails when the body is not a JSON
// object with a numeric errorCode, or when errorCode is 0 and a result is not a JSON object.
// With a non-zero errorCode the results are not checked.
func decodeSearch(body []byte) (searchResponse, error) {
	var r searchResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return searchResponse{}, err
	}
	if r.ErrorCode == nil {
		return searchResponse{}, errors.New("no errorCode")
	}
	if *r.ErrorCode != CodeOK {
		return r, nil
	}
	for i, res := range r.Results {
		if len(res) == 0 || res[0] != '{' {
			return searchResponse{}, fmt.Errorf("result %d is not a JSON object", i)
		}
	}
	return r, nil
}

// decodeAccountInfo parses an accounts.getAccountInfo response body, whose account fields sit at
// the top level next to the envelope, and returns its "password" value (nil when absent).
func decodeAccountInfo(body []byte) (*envelope, json.RawMessage, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, nil, err
	}
	if env.ErrorCode == nil {
		return nil, nil, errors.New("no errorCode")
	}
	if *env.ErrorCode != CodeOK {
		return &env, nil, nil
	}
	pw, _, err := getMember(body, "password")
	if err != nil {
		return nil, nil, err
	}
	return &env, pw, nil
}

// member is one top-level member of a JSON object: its key and where its value sits.
type member struct {
	key        string
	start, end int // value bytes are obj[start:end]
}

var errNotObject = errors.New("not a JSON object")

// members lists the top-level members of the JSON object obj, in order, with exact (case-
// sensitive) keys. Duplicate keys are all listed.
func members(obj []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errNotObject
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		if start < 0 || end > len(obj) || !bytes.Equal(obj[start:end], raw) {
			return nil, fmt.Errorf("cannot locate the value of %q", key)
		}
		ms = append(ms, member{key: key, start: start, end: end})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if len(bytes.TrimSpace(obj[dec.InputOffset():])) != 0 {
		return nil, errors.New("data after the JSON object")
	}
	return ms, nil
}

// getMember returns the value of the last top-level member of obj named key (the one
// encoding/json would keep) and whether there is one.
func getMember(obj []byte, key string) (json.RawMessage, bool, error) {
	ms, err := members(obj)
	if err != nil {
		return nil, false, err
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].key == key {
			return obj[ms[i].start:ms[i].end:ms[i].end], true, nil
		}
	}
	return nil, false, nil
}

// setMember returns a copy of obj in which every top-level member named key has the value val, in
// place; when there is none, the member is appended after the last one. All other bytes are kept.
func setMember(obj []byte, key string, val []byte) ([]byte, error) {
	if !json.Valid(val) {
		return nil, errors.New("value is not valid JSON")
	}
	ms, err := members(obj)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(obj)+len(key)+len(val)+4)
	prev := 0
	for _, m := range ms {
		if m.key == key {
			out = append(out, obj[prev:m.start]...)
			out = append(out, val...)
			prev = m.end
		}
	}
	if prev > 0 {
		return append(out, obj[prev:]...), nil
	}
	at := bytes.IndexByte(obj, '{') + 1 // empty object: right after the brace
	if len(ms) > 0 {
		at = ms[len(ms)-1].end
	}
	k, _ := json.Marshal(key)
	out = append(out, obj[:at]...)
	if len(ms) > 0 {
		out = append(out, ',')
	}
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, val...)
	return append(out, obj[at:]...), nil
}
