// Package gigya is the "gigya" source: SAP Customer Data Cloud (Gigya) accounts, from files
// (accounts.search result pages {"results":[…]}, NDJSON, arrays, folders, gzip; exported accounts
// or accounts in the import-file shape of accounts.importFullAccount / IdentitySync) or from the
// live accounts.search API with a cursor (package gigyaapi), mapped by the built-in gigya mapping
// (mapping.yaml in this folder).
package gigya

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
	"github.com/usher-migrate/usher/sources/internal/live"
)

// SecretEnv is the environment variable holding the application secret when no secret-file is
// given.
const SecretEnv = "USHER_GIGYA_SECRET"

// Options are the source options (--gigya-<name> flags, source-options in a job file).
var Options = []pipeline.Option{
	{Name: "api-key", Help: "site API key: read the live accounts.search API instead of files"},
	{Name: "user-key", Help: "application key (userKey) for the live API"},
	{Name: "secret-file", Help: "file holding the application secret (else $" + SecretEnv + ")"},
	{Name: "data-center", Help: "data center domain: us1.gigya.com, eu1.gigya.com, au1.gigya.com, …", Default: "us1.gigya.com"},
	{Name: "url", Help: "API base URL, overriding data-center (a proxy or an emulator)"},
	{Name: "query", Help: "accounts.search query without LIMIT", Default: "SELECT * FROM accounts"},
	{Name: "page-size", Help: "accounts per cursor page, 1-1000", Default: "1000"},
	{Name: "account-types", Help: "accountTypes for accounts.search (default: full accounts only)"},
	{Name: "fetch-passwords", Help: "auto (getAccountInfo when search omits the password), always or never", Default: "auto"},
	{Name: "concurrency", Help: "parallel getAccountInfo calls", Default: "4"},
}

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "gigya",
		Description: "SAP Customer Data Cloud (Gigya) accounts: search result pages, NDJSON, folders, or the live API",
		Options:     Options,
		New:         func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		NewMapping:  pipeline.RejectFlagged(mappings.For("gigya")),
		Live:        &pipeline.LiveInfo{Options: LiveOptions, New: newLive},
	})
}

// New builds the source: the live API when api-key is set, else the input files. Errors are
// configuration errors; none contains the secret.
func New(cfg pipeline.SourceConfig) (*live.Source, error) { return newSource(cfg, nil) }

// newSource is New with a hook that adjusts the API client's configuration (tests inject a clock
// and a recording Sleep).
func newSource(cfg pipeline.SourceConfig, tweak func(*gigyaapi.Config)) (*live.Source, error) {
	if err := live.CheckOptions("gigya", cfg.Options, Options, "secret", SecretEnv); err != nil {
		return nil, err
	}
	o := cfg.Options
	if o["api-key"] == "" {
		for k := range o {
			return nil, fmt.Errorf("gigya source: option %q needs api-key (the live API)", k)
		}
		return live.NewFiles("gigya", cfg.Inputs, cfg.MaxRecordBytes)
	}
	if len(cfg.Inputs) > 0 {
		return nil, fmt.Errorf("gigya source: give either --input files or the live API (api-key), not both")
	}
	sec, err := secret.Read("gigya secret", o["secret-file"], SecretEnv)
	if err != nil {
		return nil, fmt.Errorf("gigya source: %w", err)
	}
	base := o["url"]
	if base == "" {
		dc := o["data-center"]
		if dc == "" {
			dc = "us1.gigya.com"
		}
		base = "https://accounts." + dc
	}
	acfg := gigyaapi.Config{
		BaseURL: strings.TrimRight(base, "/"), APIKey: o["api-key"], UserKey: o["user-key"], Secret: sec,
		Query: o["query"], AccountTypes: o["account-types"], FetchPasswords: o["fetch-passwords"],
		Logf: func(format string, args ...any) { slog.Info(fmt.Sprintf(format, args...)) },
	}
	if acfg.PageSize, err = live.IntOption("gigya", o, "page-size"); err != nil {
		return nil, err
	}
	if acfg.Concurrency, err = live.IntOption("gigya", o, "concurrency"); err != nil {
		return nil, err
	}
	if tweak != nil {
		tweak(&acfg)
	}
	client, err := gigyaapi.New(acfg)
	if err != nil {
		return nil, fmt.Errorf("gigya source: %w", err)
	}
	return live.NewLive("gigya", "accounts", cfg.WorkDir, cfg.MaxRecordBytes, func(ctx context.Context, emit func([]byte) error) error {
		return client.Search(ctx, emit)
	}, acfg.Logf)
}
