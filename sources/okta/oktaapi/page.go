package oktaapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// pageUser is one user object of a page: its bytes exactly as they appeared in the response
// body (no surrounding whitespace) and its id.
type pageUser struct {
	raw       []byte
	id        string
	hasGroups bool // the object already has a top-level "groups" key
}

// errBadJSON marks a body that is not well-formed JSON (typically truncated in transit); the
// request is worth retrying. Well-formed JSON of the wrong shape is not.
var errBadJSON = errors.New("response body is not well-formed JSON")

// decodePage splits a List Users response body (a JSON array of User objects) into its
// elements. Each element must be an object with a non-empty string "id". The element bytes are
// sub-slices of body, so numbers, key order, escapes and whitespace inside objects are kept.
func decodePage(body []byte) ([]pageUser, error) {
	trimmed := bytes.TrimSpace(body)
	if !json.Valid(trimmed) {
		return nil, errBadJSON
	}
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, errors.New("response body is not a JSON array")
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(trimmed, &elems); err != nil {
		return nil, fmt.Errorf("decoding page: %w", err)
	}
	users := make([]pageUser, len(elems))
	for i, e := range elems {
		if len(e) == 0 || e[0] != '{' {
			return nil, fmt.Errorf("page element %d is not a JSON object", i)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(e, &top); err != nil {
			return nil, fmt.Errorf("page element %d: %w", i, err)
		}
		var id string
		if raw, ok := top["id"]; !ok || json.Unmarshal(raw, &id) != nil || id == "" {
			return nil, fmt.Errorf("page element %d has no string id", i)
		}
		_, has := top["groups"]
		users[i] = pageUser{raw: e, id: id, hasGroups: has}
	}
	return users, nil
}

// decodeArray checks that body is a JSON array and returns it without surrounding whitespace
// together with its elements.
func decodeArray(body []byte) ([]byte, []json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if !json.Valid(trimmed) {
		return nil, nil, errBadJSON
	}
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, nil, errors.New("response body is not a JSON array")
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(trimmed, &elems); err != nil {
		return nil, nil, err
	}
	return trimmed, elems, nil
}

// joinArray builds a JSON array from raw elements.
func joinArray(elems []json.RawMessage) []byte {
	n := 2
	for _, e := range elems {
		n += len(e) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, e := range elems {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	return append(b, ']')
}

// withGroups returns a copy of the user object obj (bytes of a JSON object without surrounding
// whitespace) with a last top-level key "groups" whose value is the JSON array groups.
// Everything before the closing brace is kept byte for byte.
func withGroups(obj, groups []byte) []byte {
	body := obj[:len(obj)-1] // everything up to the closing '}'
	out := make([]byte, 0, len(obj)+len(groups)+12)
	out = append(out, body...)
	if len(bytes.TrimSpace(body[1:])) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"groups":`...)
	out = append(out, groups...)
	return append(out, '}')
}
