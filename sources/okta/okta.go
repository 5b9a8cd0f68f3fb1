// Package okta is the "okta" source: Okta user objects, from files (arrays, NDJSON, one page
// array per line, folders, gzip) or from the live users API (package oktaapi: limit=200 pages
// followed by their Link rel="next", DEPROVISIONED users listed separately, groups optional),
// mapped by the built-in okta mapping (mapping.yaml in this folder). Okta never exports password
// hashes: users follow --passwordless.
package okta

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/live"
	"github.com/usher-migrate/usher/sources/okta/oktaapi"
)

// TokenEnv is the environment variable holding the API token when no token-file is given.
const TokenEnv = "USHER_OKTA_TOKEN"

// Options are the source options (--okta-<name> flags, source-options in a job file).
var Options = []pipeline.Option{
	{Name: "url", Help: "Okta org URL, e.g. https://example.okta.com: read the live users API instead of files"},
	{Name: "token-file", Help: "file holding the API token (else $" + TokenEnv + ")"},
	{Name: "search", Help: "search expression limiting the users listed (Okta search syntax)"},
	{Name: "page-size", Help: "users per page, 1-200", Default: "200"},
	{Name: "groups", Help: "true: fetch each user's groups (one call per user)"},
	{Name: "concurrency", Help: "parallel groups calls", Default: "4"},
	{Name: "exclude-deprovisioned", Help: "true: skip the separate listing of DEPROVISIONED users"},
}

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "okta",
		Description: "Okta users: API user objects in files (arrays, pages, NDJSON), or the live users API",
		Options:     Options,
		New:         func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		NewMapping:  pipeline.RejectFlagged(mappings.For("okta")),
		Live:        &pipeline.LiveInfo{Options: LiveOptions, New: newLive},
	})
}

// New builds the source: the live API when url is set, else the input files. Errors are
// configuration errors; none contains the token.
func New(cfg pipeline.SourceConfig) (*live.Source, error) { return newSource(cfg, nil) }

// newSource is New with a hook that adjusts the API client's configuration (tests inject a clock
// and a recording Sleep).
func newSource(cfg pipeline.SourceConfig, tweak func(*oktaapi.Config)) (*live.Source, error) {
	if err := live.CheckOptions("okta", cfg.Options, Options, "token", TokenEnv); err != nil {
		return nil, err
	}
	o := cfg.Options
	remote, err := live.FilesOrLive("okta", o, cfg.Inputs, "url", "the live API")
	if err != nil {
		return nil, err
	}
	if !remote {
		return live.NewFiles("okta", cfg.Inputs, cfg.MaxRecordBytes)
	}
	token, err := secret.Read("okta API token", o["token-file"], TokenEnv)
	if err != nil {
		return nil, fmt.Errorf("okta source: %w", err)
	}
	acfg := oktaapi.Config{
		BaseURL: strings.TrimRight(o["url"], "/"), Token: token, Search: o["search"],
		Logf: live.Logf,
	}
	if acfg.Groups, err = boolOption(o, "groups"); err != nil {
		return nil, err
	}
	if acfg.ExcludeDeprovisioned, err = boolOption(o, "exclude-deprovisioned"); err != nil {
		return nil, err
	}
	if acfg.PageSize, err = live.IntOption("okta", o, "page-size"); err != nil {
		return nil, err
	}
	if acfg.Concurrency, err = live.IntOption("okta", o, "concurrency"); err != nil {
		return nil, err
	}
	if tweak != nil {
		tweak(&acfg)
	}
	client, err := oktaapi.New(acfg)
	if err != nil {
		return nil, fmt.Errorf("okta source: %w", err)
	}
	return live.NewLive("okta", "users", cfg.WorkDir, cfg.MaxRecordBytes, func(ctx context.Context, emit func([]byte) error) error {
		return client.Users(ctx, emit)
	}, acfg.Logf)
}

func boolOption(o map[string]string, k string) (bool, error) {
	if o[k] == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(o[k])
	if err != nil {
		return false, fmt.Errorf("okta source: %s %q: want true or false", k, o[k])
	}
	return b, nil
}
