// Package keycloak is the "keycloak" source: Keycloak realm users, from the files of kc.sh export
// (a realm file with its users, the <realm>-users-N.json files of a directory export, the array
// of every realm; see Files) or from a running Keycloak's admin REST API (package keycloakapi;
// the API returns no password hashes, so those users wait for lazy migration through the live
// login), mapped by the built-in keycloak mapping (mapping.yaml in this folder). Password
// credentials are Keycloak's (keycloakhash): PBKDF2 and Argon2id/Argon2i v1.3 are imported as
// Auth0 hashes, the others wait for lazy migration.
package keycloak

import (
	"context"
	"fmt"
	"strings"

	"github.com/usher-migrate/usher/internal/secret"
	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/live"
	"github.com/usher-migrate/usher/sources/keycloak/keycloakapi"
)

// Environment variables holding the secrets when no file names them.
const (
	ClientSecretEnv  = "USHER_KEYCLOAK_CLIENT_SECRET"
	AdminPasswordEnv = "USHER_KEYCLOAK_ADMIN_PASSWORD"
)

// Options are the source options (--keycloak-<name> flags, source-options in a job file).
var Options = []pipeline.Option{
	{Name: "url", Help: "Keycloak's URL (https://kc.example.com; …/auth before Keycloak 17): read the realm's users from the admin REST API instead of files"},
	{Name: "realm", Help: "the realm whose users are read"},
	{Name: "client-id", Help: "a confidential client of the realm whose service account has realm-management's view-users role (client_credentials)"},
	{Name: "client-secret-file", Help: "file holding the client's secret (else $" + ClientSecretEnv + ")"},
	{Name: "admin-user", Help: "instead of a client: an administrator of admin-realm, logged in through admin-cli"},
	{Name: "admin-password-file", Help: "file holding the administrator's password (else $" + AdminPasswordEnv + ")"},
	{Name: "admin-realm", Help: "the administrator's realm", Default: "master"},
	{Name: "page-size", Help: "users per page (max), 1-1000", Default: "100"},
	{Name: "details", Help: "what to add to each user, one call each: identities (federated identities, which tell social-only users apart), groups, roles; or none", Default: "identities"},
	{Name: "concurrency", Help: "parallel detail calls", Default: "4"},
}

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "keycloak",
		Description: "Keycloak realm users: kc.sh export files (realm files, <realm>-users-N.json, all realms), or the live admin REST API",
		Options:     Options,
		New:         func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		NewMapping:  pipeline.RejectFlagged(mappings.For("keycloak")),
		Live:        &pipeline.LiveInfo{Options: LiveOptions, New: newLive},
	})
}

// logf reports to the log what the source notices (files without users, a realm that changed
// during a read).
var logf = live.Logf

// New builds the source: the admin REST API when url is set, else the input files. Errors are
// configuration errors; none contains a secret.
func New(cfg pipeline.SourceConfig) (pipeline.Source, error) { return newSource(cfg, nil) }

// newSource is New with a hook that adjusts the API client's configuration (tests inject a
// clock and a recording Sleep).
func newSource(cfg pipeline.SourceConfig, tweak func(*keycloakapi.Config)) (pipeline.Source, error) {
	o := cfg.Options
	if err := checkOptions(o, Options); err != nil {
		return nil, err
	}
	remote, err := live.FilesOrLive("keycloak", o, cfg.Inputs, "url", "the admin REST API")
	if err != nil {
		return nil, err
	}
	if !remote {
		return NewFiles(cfg.Inputs, cfg.MaxRecordBytes, logf)
	}
	acfg, err := apiConfig(o, "keycloak source")
	if err != nil {
		return nil, err
	}
	acfg.Logf = logf
	if acfg.PageSize, err = live.IntOption("keycloak", o, "page-size"); err != nil {
		return nil, err
	}
	if acfg.Concurrency, err = live.IntOption("keycloak", o, "concurrency"); err != nil {
		return nil, err
	}
	details := o["details"]
	if _, given := o["details"]; !given {
		details = "identities"
	}
	if acfg.Details, err = parseDetails(details); err != nil {
		return nil, err
	}
	if tweak != nil {
		tweak(&acfg)
	}
	client, err := keycloakapi.New(acfg)
	if err != nil {
		return nil, fmt.Errorf("keycloak source: %w", err)
	}
	src, err := live.NewLive("keycloak", "users", cfg.WorkDir, cfg.MaxRecordBytes, func(ctx context.Context, emit func([]byte) error) error {
		return client.Users(ctx, emit)
	}, acfg.Logf)
	if err != nil {
		return nil, err
	}
	return &liveSource{Source: src, realm: acfg.Realm}, nil
}

// liveSource is a live fetch (spooled and read back by package live) whose users get the realm
// they were read from, as users of an export file do.
type liveSource struct {
	*live.Source
	realm string
}

// Decode is live.Source's, with the realm added as "realm" (see Files.Decode).
func (s *liveSource) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	rec, err := s.Source.Decode(raw)
	return withRealm(rec, s.realm), err
}

// secretOptions are option names a secret might be given as, by mistake.
var secretOptions = map[string]string{"client-secret": "client-secret-file or $" + ClientSecretEnv,
	"admin-password": "admin-password-file or $" + AdminPasswordEnv, "password": "admin-password-file or $" + AdminPasswordEnv}

// checkOptions refuses unknown option names, and a secret given as an option.
func checkOptions(o map[string]string, known []pipeline.Option) error {
	return live.CheckSecretOptions("keycloak", o, known, secretOptions)
}

// apiConfig builds the admin API client's configuration from the options shared by the source
// and the live login: url, realm, and a client (client-id with its secret) or an administrator
// (admin-user with the password, admin-realm).
func apiConfig(o map[string]string, what string) (keycloakapi.Config, error) {
	cfg := keycloakapi.Config{BaseURL: strings.TrimRight(o["url"], "/"), Realm: o["realm"], ClientID: o["client-id"]}
	if cfg.Realm == "" {
		return cfg, fmt.Errorf("%s: --keycloak-realm is required with --keycloak-url", what)
	}
	if o["admin-user"] != "" {
		pw, err := secret.Read("keycloak administrator password", o["admin-password-file"], AdminPasswordEnv)
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", what, err)
		}
		cfg.Username, cfg.Password = o["admin-user"], pw
		cfg.TokenRealm = o["admin-realm"]
		if cfg.TokenRealm == "" {
			cfg.TokenRealm = "master"
		}
		if o["client-secret-file"] != "" {
			if cfg.ClientSecret, err = secret.Read("keycloak client secret", o["client-secret-file"], ""); err != nil {
				return cfg, fmt.Errorf("%s: %w", what, err)
			}
		}
		return cfg, nil
	}
	if cfg.ClientID == "" {
		return cfg, fmt.Errorf("%s: give --keycloak-client-id (with --keycloak-client-secret-file or $%s) or --keycloak-admin-user", what, ClientSecretEnv)
	}
	sec, err := secret.Read("keycloak client secret", o["client-secret-file"], ClientSecretEnv)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", what, err)
	}
	cfg.ClientSecret = sec
	return cfg, nil
}

// parseDetails reads the details option: a comma-separated list of identities, groups and
// roles, or none.
func parseDetails(s string) (keycloakapi.Details, error) {
	var d keycloakapi.Details
	for _, part := range strings.Split(s, ",") {
		switch p := strings.TrimSpace(strings.ToLower(part)); p {
		case "", "none":
		case "identities":
			d.Identities = true
		case "groups":
			d.Groups = true
		case "roles":
			d.Roles = true
		default:
			return d, fmt.Errorf("keycloak source: details %q: want identities, groups, roles (comma-separated) or none", strings.TrimSpace(part))
		}
	}
	return d, nil
}

// allDetails is every detail a live account gets (the hook maps accounts the export lacked).
var allDetails = keycloakapi.Details{Identities: true, Groups: true, Roles: true}
