package cognito

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
)

// CodeDuplicateAttribute rejects a user whose Attributes name one attribute twice: which of the
// two values is the user's cannot be told.
const CodeDuplicateAttribute = "duplicate_attribute"

// MaxAttributes bounds the attributes of one user. Cognito allows 50 custom attributes besides
// about 20 standard ones (the Amazon Cognito developer guide, "User pool attributes"); a record
// with more is not a Cognito user, and is rejected invalid_type rather than mapped.
const MaxAttributes = 256

// TimeLayout is how Normalize writes UserCreateDate and UserLastModifiedDate: RFC 3339 in UTC
// with milliseconds (the precision of the API's epoch seconds).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Keys of the object the built-in mapping reads, which Normalize builds from a user's Attributes.
const (
	// AttributesKey holds the standard attributes (sub, email, email_verified, …, identities)
	// and any other attribute that is neither custom nor developer-only: name → value.
	AttributesKey = "Attributes"
	// CustomKey holds the custom attributes ("custom:tenant") by their name without the
	// "custom:" prefix ("tenant"), unless a standard attribute of the user has that name.
	CustomKey = "CustomAttributes"
	// DeveloperKey holds the developer-only attributes ("dev:custom:score") by their name
	// without the "dev:custom:" prefix.
	DeveloperKey = "DeveloperAttributes"
)

// booleanAttributes are the standard attributes whose values are the strings "true" and "false".
var booleanAttributes = map[string]bool{"email_verified": true, "phone_number_verified": true}

// timestampKeys are the UserType timestamps.
var timestampKeys = []string{"UserCreateDate", "UserLastModifiedDate"}

// Normalize turns one Cognito user, as ListUsers (aws cognito-idp list-users) or AdminGetUser
// returns it, or as an import-template CSV row decodes (see fromCSV), into the object the cognito
// mapping reads, in place:
//
//   - Attributes ([{"Name","Value"}], or AdminGetUser's UserAttributes) becomes three objects
//     keyed by attribute name: Attributes (standard and other attributes), CustomAttributes
//     ("custom:" removed) and DeveloperAttributes ("dev:custom:" removed). An object already keyed
//     by name is taken as well. Values are strings as Cognito keeps them; booleans and numbers
//     from other tools become their text. email_verified and phone_number_verified become
//     booleans ("true"/"false" in any case); identities, the JSON text of the user's linked
//     providers, becomes that JSON array (left as text when it is not one).
//   - UserCreateDate and UserLastModifiedDate, epoch seconds on the wire (1682955829.578) or
//     ISO 8601 with an offset as AWS CLI v2 prints them ("2023-05-01T15:43:49.578000+00:00"),
//     become TimeLayout strings in UTC.
//   - Enabled stays a boolean ("true"/"false" text is taken too).
//
// It returns the issues that reject the user: an attribute named twice (duplicate_attribute,
// naming it), an attribute list, name, value, timestamp or Enabled of the wrong shape
// (invalid_type, naming the field), more than MaxAttributes attributes. The work is bounded by
// the record's size.
func Normalize(rec map[string]any) []pipeline.Issue {
	var issues []pipeline.Issue
	bad := func(code, field, format string, args ...any) {
		issues = append(issues, pipeline.Issue{Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	list, key := rec[AttributesKey], AttributesKey
	if ua, ok := rec["UserAttributes"]; ok {
		if list != nil {
			bad(pipeline.CodeInvalidType, "UserAttributes", "the user has both Attributes (ListUsers) and UserAttributes (AdminGetUser): which are its attributes cannot be told")
			return issues
		}
		list, key = ua, "UserAttributes"
		delete(rec, "UserAttributes")
	}
	delete(rec, AttributesKey)
	attrs, err := collect(key, list)
	if err != nil {
		return append(issues, *err)
	}
	std, custom, dev := map[string]any{}, map[string]any{}, map[string]any{}
	for _, a := range attrs {
		name, value := a.name, a.value
		switch {
		case strings.HasPrefix(name, "dev:custom:") && len(name) > len("dev:custom:"):
			dev[name[len("dev:custom:"):]] = value
		case strings.HasPrefix(name, "custom:") && len(name) > len("custom:"):
			custom[name[len("custom:"):]] = value
		case booleanAttributes[name]:
			b, ok := boolText(value)
			if !ok {
				bad(pipeline.CodeInvalidType, key+"."+name, "%s is %s, not \"true\" or \"false\"", name, describe(value))
				continue
			}
			std[name] = b
		case name == "identities":
			std[name] = identities(value)
		default:
			std[name] = value
		}
	}
	// A custom attribute keeps its prefix when the user has a standard attribute of the same
	// name, so that both can go to user_metadata.
	for k, v := range custom {
		if _, clash := std[k]; clash {
			delete(custom, k)
			custom["custom:"+k] = v
		}
	}
	for k, m := range map[string]map[string]any{AttributesKey: std, CustomKey: custom, DeveloperKey: dev} {
		if len(m) > 0 {
			rec[k] = m
		} else {
			delete(rec, k)
		}
	}
	for _, k := range timestampKeys {
		v, ok := rec[k]
		if !ok || v == nil {
			continue
		}
		t, err := Timestamp(v)
		if err != nil {
			bad(pipeline.CodeInvalidType, k, "%s: %v", k, err)
			continue
		}
		rec[k] = t.UTC().Format(TimeLayout)
	}
	switch v := rec["Enabled"].(type) {
	case nil, bool:
	case string:
		if b, ok := boolText(v); ok {
			rec["Enabled"] = b
		} else {
			bad(pipeline.CodeInvalidType, "Enabled", "Enabled is %s, not true or false", describe(v))
		}
	default:
		bad(pipeline.CodeInvalidType, "Enabled", "Enabled is %s, not true or false", pipeline.JSONType(v))
	}
	return issues
}

// Objectify turns the attribute list of a ListUsers user ([{"Name","Value"}], or AdminGetUser's
// UserAttributes) into an object keyed by attribute name under Attributes, in place, as Decode
// hands records on: so that the record a reject shows has its attribute values under their names,
// where the redaction of rejects.ndjson finds password material ("custom:password_hash": …),
// and the mapping reads the same object (Normalize takes either form). Attributes without a value
// are left out. A list that Normalize would refuse (an attribute named twice, an entry or value of
// the wrong shape) is still turned into an object, an entry that has no usable name or repeats one
// keyed by its place ("[3]", "email (Attributes[5])"), and the record is returned flagged with
// Normalize's issue. A record without a list is left as it is.
func Objectify(rec map[string]any) map[string]any {
	key := AttributesKey
	list, ok := rec[key].([]any)
	if !ok {
		if _, has := rec[AttributesKey]; has {
			return rec
		}
		if list, ok = rec["UserAttributes"].([]any); !ok {
			return rec
		}
		key = "UserAttributes"
	}
	_, iss := collect(key, list)
	obj := make(map[string]any, len(list))
	for i, e := range list {
		entry, isObj := e.(map[string]any)
		name, _ := entry["Name"].(string)
		v, hasValue := entry["Value"]
		switch {
		case !isObj:
			name, v, hasValue = fmt.Sprintf("[%d]", i), e, true
		case name == "":
			name = fmt.Sprintf("[%d]", i)
		}
		if _, dup := obj[name]; dup {
			name = fmt.Sprintf("%s (%s[%d])", name, key, i)
		}
		if hasValue && v != nil {
			obj[name] = v
		}
	}
	delete(rec, "UserAttributes")
	rec[AttributesKey] = obj
	if iss != nil {
		return pipeline.Flag(rec, *iss)
	}
	return rec
}

// attribute is one attribute of a user, its value as text.
type attribute struct {
	name  string
	value string
}

// collect reads the attribute list (or object) under key. Attributes without a value (null) are
// left out, as Cognito leaves unset attributes out.
func collect(key string, v any) ([]attribute, *pipeline.Issue) {
	bad := func(code, field, format string, args ...any) *pipeline.Issue {
		return &pipeline.Issue{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	switch list := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		if len(list) > MaxAttributes {
			return nil, bad(pipeline.CodeInvalidType, key, "the user has %d attributes, more than the %d a Cognito user can have", len(list), MaxAttributes)
		}
		out := make([]attribute, 0, len(list))
		for name, val := range list {
			if val == nil {
				continue
			}
			s, ok := text(val)
			if !ok {
				return nil, bad(pipeline.CodeInvalidType, key+"."+name, "the value of %s is %s, not text", name, pipeline.JSONType(val))
			}
			out = append(out, attribute{name, s})
		}
		return out, nil
	case []any:
		if len(list) > MaxAttributes {
			return nil, bad(pipeline.CodeInvalidType, key, "the user has %d attributes, more than the %d a Cognito user can have", len(list), MaxAttributes)
		}
		out := make([]attribute, 0, len(list))
		seen := make(map[string]int, len(list))
		for i, e := range list {
			field := fmt.Sprintf("%s[%d]", key, i)
			obj, ok := e.(map[string]any)
			if !ok {
				return nil, bad(pipeline.CodeInvalidType, field, "an attribute is an object {\"Name\",\"Value\"}, not %s", pipeline.JSONType(e))
			}
			name, ok := obj["Name"].(string)
			if !ok || name == "" {
				return nil, bad(pipeline.CodeInvalidType, field+".Name", "an attribute's Name is a non-empty string, not %s", describe(obj["Name"]))
			}
			if j, dup := seen[name]; dup {
				return nil, bad(CodeDuplicateAttribute, field+".Name",
					"the attribute %q is given twice (%s[%d] and %s[%d]): which value is the user's cannot be told", name, key, j, key, i)
			}
			seen[name] = i
			val := obj["Value"]
			if val == nil {
				continue
			}
			s, ok := text(val)
			if !ok {
				return nil, bad(pipeline.CodeInvalidType, field+".Value", "the value of %s is %s, not text", name, pipeline.JSONType(val))
			}
			out = append(out, attribute{name, s})
		}
		return out, nil
	}
	return nil, bad(pipeline.CodeInvalidType, key, "%s is %s, not a list of {\"Name\",\"Value\"}", key, pipeline.JSONType(v))
}

// text is an attribute value as text: strings as they are, booleans and numbers (written by tools
// other than Cognito) as their JSON text.
func text(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case json.Number:
		return t.String(), true
	}
	return "", false
}

// boolText reads "true" or "false" in any case.
func boolText(s string) (value, ok bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// describe names a value in a message: its text when short, else its JSON type.
func describe(v any) string {
	if s, ok := v.(string); ok {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return strconv.Quote(s)
	}
	return pipeline.JSONType(v)
}

// identities decodes the identities attribute: the JSON text of the providers linked to the user
// ([{"userId","providerName","providerType","issuer","primary","dateCreated"}], the shape
// federated users' ListUsers answers show; newer ones write primary and dateCreated as strings).
// Text that is not a JSON array is kept as it is.
func identities(s string) any {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "[") {
		return s
	}
	v, err := pipeline.DecodeValue([]byte(t))
	if err != nil {
		return s
	}
	if _, ok := v.([]any); !ok {
		return s
	}
	if iss, err := pipeline.ValueIssues(v, "", 2); err != nil || len(iss) > 0 {
		return s
	}
	return v
}

// minEpoch and maxEpoch bound the timestamps taken: years 1 to 9999.
var (
	minEpoch = big.NewRat(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), 1)
	maxEpoch = big.NewRat(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix(), 1)
)

// Timestamp reads a Cognito timestamp: a JSON number of epoch seconds, fractional milliseconds
// included (the awsJson1_1 wire format, and aws-cli v1 or cli_timestamp_format = wire), or an ISO
// 8601 string with an offset, with or without fractional seconds (aws-cli v2's default
// cli_timestamp_format = iso8601, Python's isoformat in the machine's time zone:
// "2023-05-01T15:43:49.578000+00:00", "2017-07-14T02:40:00+00:00"). Epoch seconds are read
// exactly and rounded to the millisecond.
func Timestamp(v any) (time.Time, error) {
	switch t := v.(type) {
	case json.Number:
		return epochSeconds(t.String())
	case string:
		s := strings.TrimSpace(t)
		if len(s) > 64 {
			return time.Time{}, fmt.Errorf("%q… is not a timestamp", s[:20])
		}
		if len(s) > 10 && s[10] == ' ' { // Python's str(datetime)
			s = s[:10] + "T" + s[11:]
		}
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return ts, nil
		}
		if isNumber(s) { // epoch seconds written as text
			return epochSeconds(s)
		}
		return time.Time{}, fmt.Errorf("%s is neither epoch seconds nor an ISO 8601 time with an offset", strconv.Quote(s))
	}
	return time.Time{}, fmt.Errorf("a timestamp is epoch seconds or an ISO 8601 string, not %s", pipeline.JSONType(v))
}

// isNumber reports whether s is a plain decimal number (sign, digits, one point).
func isNumber(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	digits, point := 0, false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		case c == '-' && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}

// epochSeconds reads a decimal number of seconds since 1970 exactly (big.Rat, so that
// 1682955829.578 is not 1682955829.5779998) and rounds it to the millisecond.
func epochSeconds(s string) (time.Time, error) {
	if len(s) > 40 {
		return time.Time{}, fmt.Errorf("%s… is not a timestamp", s[:20])
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%s is not a number of seconds", s)
	}
	if r.Cmp(minEpoch) < 0 || r.Cmp(maxEpoch) > 0 {
		return time.Time{}, fmt.Errorf("%s seconds is not a date between the years 1 and 9999", s)
	}
	ms := new(big.Rat).Mul(r, big.NewRat(1000, 1))
	// Round half away from zero to whole milliseconds.
	num, den := ms.Num(), ms.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return time.UnixMilli(q.Int64()).UTC(), nil
}

// Mapping is the cognito source's mapping: Normalize, then the declarative mapping (the built-in
// mapping.yaml, with a --mapping file laid over it). It implements pipeline.Mapping and
// pipeline.Namespaced.
type Mapping struct {
	next *mappings.Declarative
}

// NewMapping builds the cognito mapping for cfg.
func NewMapping(cfg pipeline.MappingConfig) (pipeline.Mapping, error) {
	d, err := mappings.Load("cognito", cfg)
	if err != nil {
		return nil, err
	}
	return &Mapping{next: d}, nil
}

// Map normalises rec (Normalize) and maps it; the issues of Normalize reject it.
func (m *Mapping) Map(rec map[string]any) (*pipeline.Mapped, []pipeline.Issue) {
	if issues := Normalize(rec); len(issues) > 0 {
		return nil, issues
	}
	return m.next.Map(rec)
}

// Namespace is the app_metadata key of the mapping ("cognito" unless changed).
func (m *Mapping) Namespace() string { return m.next.Namespace() }
