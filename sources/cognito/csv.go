package cognito

import (
	"fmt"
	"sort"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
)

// CSV columns of Cognito's user-import template (aws cognito-idp get-csv-header; the Amazon
// Cognito developer guide, "Creating the user import .csv file") that are not attributes.
const (
	ColumnUsername   = "cognito:username"
	ColumnMFAEnabled = "cognito:mfa_enabled"
)

// fromCSV turns one row of a user-import CSV, as package csvfile decoded it (header name → cell;
// empty cells absent; email_verified already a boolean), into the shape of a ListUsers user, so
// that one mapping reads both: cognito:username becomes Username, cognito:mfa_enabled a boolean
// under its own name, every other column an attribute {"Name","Value"} (in name order). Values
// are trimmed of surrounding white space, as Cognito's import does, and an empty one is left out.
// A header name csvfile read as a path (custom:a.b) is joined back into its dotted name. It
// returns the issue of a cell that does not fit: a cognito:mfa_enabled that is not true or false,
// a column name csvfile turned into an array (custom:x[0]).
func fromCSV(row map[string]any) (map[string]any, *pipeline.Issue) {
	out := map[string]any{}
	var attrs []any
	var issue *pipeline.Issue
	var add func(prefix string, v any)
	add = func(name string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				add(name+"."+k, x)
			}
			return
		case []any:
			if issue == nil {
				issue = &pipeline.Issue{Code: pipeline.CodeInvalidType, Field: name,
					Message: "a column named with [index] is not a Cognito attribute"}
			}
			return
		}
		s, _ := text(v)
		if s = strings.TrimSpace(s); s == "" {
			return
		}
		switch name {
		case ColumnUsername:
			out["Username"] = s
		case ColumnMFAEnabled:
			b, ok := boolText(s)
			if !ok && issue == nil {
				issue = &pipeline.Issue{Code: pipeline.CodeInvalidType, Field: name,
					Message: fmt.Sprintf("%s is %s, not TRUE or FALSE", name, describe(s))}
			}
			out[name] = b
		default:
			attrs = append(attrs, map[string]any{"Name": name, "Value": s})
		}
	}
	for k, v := range row {
		add(k, v)
	}
	sort.Slice(attrs, func(i, j int) bool {
		return attrs[i].(map[string]any)["Name"].(string) < attrs[j].(map[string]any)["Name"].(string)
	})
	if attrs == nil {
		attrs = []any{}
	}
	out[AttributesKey] = attrs
	return out, issue
}
