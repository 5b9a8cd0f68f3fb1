package gigyatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// span locates one top-level member of a JSON object.
type span struct {
	key              string
	keyStart         int // offset of the key's opening quote
	valStart, valEnd int // the value is obj[valStart:valEnd]
}

// scan lists the top-level members of the JSON object obj, in order.
func scan(obj []byte) ([]span, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var spans []span
	for dec.More() {
		keyStart := skipSpaceAndCommas(obj, int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		if start < 0 || !bytes.Equal(obj[start:end], raw) {
			return nil, fmt.Errorf("cannot locate the value of %q", key)
		}
		spans = append(spans, span{key: key, keyStart: keyStart, valStart: start, valEnd: end})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(obj[dec.InputOffset():])) != 0 {
		return nil, errors.New("data after the JSON object")
	}
	return spans, nil
}

func skipSpaceAndCommas(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n' || b[i] == ',') {
		i++
	}
	return i
}

// removeMember returns obj without its top-level members named key, keeping every other byte,
// so that adding the member back at the end restores a compact object exactly.
func removeMember(obj []byte, key string) ([]byte, error) {
	for {
		spans, err := scan(obj)
		if err != nil {
			return nil, err
		}
		i := -1
		for j, s := range spans {
			if s.key == key {
				i = j
				break
			}
		}
		if i < 0 {
			return obj, nil
		}
		from, to := spans[i].keyStart, spans[i].valEnd
		switch {
		case i+1 < len(spans): // drop up to the next key, taking the comma with it
			to = spans[i+1].keyStart
		case i > 0: // last member: drop from the end of the previous value
			from = spans[i-1].valEnd
		}
		obj = append(obj[:from:from], obj[to:]...)
	}
}
