// Package gigya is the "gigya" source: SAP Customer Data Cloud (Gigya) accounts, from files
// (accounts.search result pages {"results":[…]}, NDJSON, arrays, folders, gzip; exported accounts
// or accounts in the import-file shape of accounts.importFullAccount / IdentitySync) or from the
// live accounts.search API with a cursor (package gigyaapi), mapped by the built-in gigya mapping
// (mapping.yaml in this folder).
package gigya

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
	"github.com/usher-migrate/usher/sources/internal/live"
	"github.com/usher-migrate/usher/sources/spool"
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
	pages := filepath.Join(cfg.WorkDir, spool.Dir, PagesFile)
	return live.NewLive("gigya", "accounts", cfg.WorkDir, cfg.MaxRecordBytes, func(ctx context.Context, emit func([]byte) error) error {
		return fetch(ctx, client, pages, emit, acfg.Logf)
	}, acfg.Logf)
}

// PagesFile is the spool, in the run's fetched folder, of the accounts.search pages as returned:
// one JSON array of accounts per line, removed once every account was handed on (the accounts
// spool is then synced and renamed into place; should that fail, the next run walks again).
const PagesFile = "gigya-search-pages.ndjson"

// fetch is the live fetch, in two phases so that a cursor never waits for getAccountInfo:
//
//  1. The cursor is walked to the end, each page written as it arrives to the pages spool (a
//     spool.Fetch of its own: it appears whole, by a rename, or not at all). The next page is asked
//     for as soon as the page is on disk, so a cursor waits one accounts.search round trip and
//     that call's retries, whatever the getAccountInfo error rate. A run interrupted here walks
//     again from a new cursor (a cursor outlives no run), as before.
//  2. The pages are read back one at a time and completed with getAccountInfo (Concurrency calls
//     at once) and their accounts handed to emit in the order search returned them. A run
//     interrupted here reuses the complete pages spool: it asks getAccountInfo again but never
//     walks the cursor again, so its accounts and their order are those of the first walk. When
//     search returned the passwords, or with fetch-passwords never, this phase makes no call.
//
// Memory holds one page; disk holds the pages spool until the accounts spool replaces it.
func fetch(ctx context.Context, client *gigyaapi.Client, pages string, emit func([]byte) error, logf func(string, ...any)) error {
	start := time.Now()
	n, walked, err := spool.Fetch(ctx, pages, func(ctx context.Context, line func([]byte) error) error {
		return client.SearchPages(ctx, func(page []json.RawMessage) error {
			b, err := pageLine(page)
			if err != nil {
				return err
			}
			return line(b)
		})
	})
	if err != nil {
		return err
	}
	if walked {
		st := client.Stats()
		logf("gigya: accounts.search walked to the end: %d pages (%d with accounts) in %s, oldest cursor age %s",
			st.Pages, n, time.Since(start).Round(time.Millisecond), st.OldestCursorAge)
	} else {
		logf("gigya: reading the accounts.search pages walked earlier from %s", pages)
	}
	f, err := os.Open(pages)
	if err != nil {
		return fmt.Errorf("gigya: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for i := 1; ; i++ {
		b, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var page []json.RawMessage
			if err := json.Unmarshal(b, &page); err != nil {
				return fmt.Errorf("gigya: %s:%d: %w", pages, i, err)
			}
			if err := client.CompletePage(ctx, page, emit); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("gigya: %s: %w", pages, err)
		}
	}
	st := client.Stats()
	age := "none (pages walked by an earlier run)"
	if walked {
		age = st.OldestCursorAge.String()
	}
	logf("gigya: live fetch complete: %d accounts, %d accounts.search pages, %d getAccountInfo calls, %d retries, oldest cursor age %s",
		st.Accounts, st.Pages, st.AccountInfoCalls, st.Retries, age)
	// The accounts spool is renamed into place once this returns; the pages are not read again.
	f.Close()
	if err := os.Remove(pages); err != nil {
		logf("gigya: removing %s: %v", pages, err)
	}
	return nil
}

// pageLine is one line of the pages spool: the page's accounts as a JSON array, each as the
// server returned it, compacted only when it spans lines (as spool.Fetch does with an object).
func pageLine(page []json.RawMessage) ([]byte, error) {
	size := 2
	for _, a := range page {
		size += len(a) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for i, a := range page {
		if i > 0 {
			b = append(b, ',')
		}
		if bytes.ContainsAny(a, "\r\n") {
			var c bytes.Buffer
			if err := json.Compact(&c, a); err != nil {
				return nil, fmt.Errorf("gigya: accounts.search returned an unreadable account: %w", err)
			}
			a = c.Bytes()
		}
		b = append(b, a...)
	}
	return append(b, ']'), nil
}
