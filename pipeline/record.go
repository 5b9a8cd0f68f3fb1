// Package pipeline holds usher's engine: the record and issue types every stage shares, the
// Source contract, and the runner that drives read → map → validate → hash → route → write
// concurrently while keeping source order.
package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	json "github.com/goccy/go-json"
)

// Position names where a record came from: the file (as reached from the --input path) and the
// 1-based line on which the record starts. Index is the 1-based record number within the file; it
// is used when a format has no meaningful lines.
type Position struct {
	File  string
	Line  int
	Index int
}

// String renders the position as "file:line" (or "file#index" when the line is unknown).
func (p Position) String() string {
	if p.Line > 0 {
		return p.File + ":" + strconv.Itoa(p.Line)
	}
	if p.Index > 0 {
		return p.File + "#" + strconv.Itoa(p.Index)
	}
	return p.File
}

// RawRecord is one record as framed by a source's reader, before decoding. Framing is cheap and
// sequential; decoding happens later, concurrently, through Source.Decode.
type RawRecord struct {
	Pos Position
	// Data holds the record's bytes (a JSON value for JSON-based sources). The runner owns it
	// after emit returns.
	Data []byte
	// Cells and Aux carry tabular rows (Cells) and per-file context such as a parsed header (Aux)
	// for sources that are not byte-oriented.
	Cells []string
	Aux   any
	// Err, when set, marks a record the reader could not frame (truncated value, bad quoting).
	// It is counted as read and rejected as parse_error with this message.
	Err error
}

// Issue is one problem found with a record: a stable snake_case reason code, the field it concerns
// (a dotted path, empty for the whole record) and a human-readable message.
type Issue struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error renders the issue as "code: field: message", so an Issue can travel as an error.
func (i Issue) Error() string {
	if i.Field != "" {
		return i.Code + ": " + i.Field + ": " + i.Message
	}
	return i.Code + ": " + i.Message
}

// Reason codes shared across stages. Codes are part of usher's external contract (rejects.ndjson,
// report.json): never rename one.
const (
	CodeParseError        = "parse_error"
	CodeUnknownField      = "unknown_field"
	CodeInvalidType       = "invalid_type"
	CodeMissingEmail      = "missing_email"
	CodeInvalidEmail      = "invalid_email"
	CodeFieldTooLong      = "field_too_long"
	CodeFieldTooShort     = "field_too_short"
	CodeInvalidUsername   = "invalid_username"
	CodeInvalidPhone      = "invalid_phone_number"
	CodeInvalidPicture    = "invalid_picture"
	CodeInvalidUserID     = "invalid_user_id"
	CodeInvalidMetadata   = "invalid_metadata_key"
	CodeReservedMetadata  = "reserved_metadata_key"
	CodeInvalidMFAFactors = "invalid_mfa_factors"
	CodePasswordConflict  = "conflicting_password_fields"
	CodeInvalidHash       = "invalid_password_hash"
	CodeUnsupportedHash   = "unsupported_hash"
	CodeNoPassword        = "no_password"
	CodeDuplicateEmail    = "duplicate_email"
	CodeDuplicateUserID   = "duplicate_user_id"
	CodeDuplicateUsername = "duplicate_username"
	CodeRecordTooLarge    = "record_too_large"
	CodeInvalidEncoding   = "invalid_encoding"  // text that is not UTF-8 (or an unpaired UTF-16 surrogate escape)
	CodeInvalidNumber     = "invalid_number"    // a number beyond the range of a 64-bit float (1e999)
	CodeProfileTooLarge   = "profile_too_large" // a warning, not a reject
	CodeSocialOnly        = "social_only"       // a user with only social or enterprise logins (--social-only reject)
)

// useNumber is goccy/go-json's decoder.UseNumberOption flag, which its public API offers only on
// the (much slower) streaming Decoder; TestDecodeObjectKeepsNumbersExact guards the value.
const useNumber = 1 << 3

func decodeOptions(o *json.DecodeOption) { o.Flags |= useNumber }

// noCopy makes decoded strings share the input's bytes (about 25% faster, half the allocations):
// callers must not modify data after decoding while the result is in use.
var noCopy = json.DecodeNoCopyString()

// DecodeObject decodes one JSON object, keeping numbers exact (json.Number), and rejects anything
// that is not a single object. Errors describe the syntax problem; callers add the position.
// As with DecodeValue, data must not be modified afterwards.
func DecodeObject(data []byte) (map[string]any, error) {
	return decodeObject(data, true)
}

// decodeObject is DecodeObject; share says whether decoded strings may share data's bytes.
func decodeObject(data []byte, share bool) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty record")
	}
	v, err := decodeValue(data, share)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("record is a JSON %s, not an object", JSONType(v))
	}
	return m, nil
}

// DecodeValue decodes one JSON value of any type, keeping numbers exact (json.Number). Trailing
// data after the value is an error. Decoded strings may share data's bytes: data must not be
// modified afterwards.
func DecodeValue(data []byte) (v any, err error) {
	return decodeValue(data, true)
}

// decodeValue is DecodeValue; share says whether decoded strings may share data's bytes.
func decodeValue(data []byte, share bool) (v any, err error) {
	defer func() {
		if r := recover(); r != nil { // never let a decoder bug take the run down
			v, err = nil, fmt.Errorf("JSON decoder failure: %v", r)
		}
	}()
	if share {
		err = json.UnmarshalWithOption(data, &v, decodeOptions, noCopy)
	} else {
		err = json.UnmarshalWithOption(data, &v, decodeOptions)
	}
	return v, err
}

// JSONType names the JSON type of a decoded value, for error messages.
func JSONType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float64, int, int64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
