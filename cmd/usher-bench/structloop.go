package main

import (
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
)

// The struct-decoding anchor: the fastest plain program a Go engineer would write for the same
// mapping. Each line is decoded into typed structs with goccy/go-json (unknown keys skipped,
// objects it does not look into kept as raw bytes), mapped field by field and encoded as an Auth0
// user, with no validation, dedup, ledger or report. usher is weighed against it.

// gigyaAccount is the part of an accounts.search account the anchor maps.
type gigyaAccount struct {
	UID             string                    `json:"UID"`
	Created         string                    `json:"created"`
	Registered      string                    `json:"registered"`
	LastLogin       string                    `json:"lastLogin"`
	LastUpdated     string                    `json:"lastUpdated"`
	IsActive        *bool                     `json:"isActive"`
	IsVerified      bool                      `json:"isVerified"`
	LoginProvider   string                    `json:"loginProvider"`
	SocialProviders string                    `json:"socialProviders"`
	PhoneNumber     string                    `json:"phoneNumber"`
	RegSource       string                    `json:"regSource"`
	LoginIDs        struct{ Emails []string } `json:"loginIDs"`
	Emails          struct {
		Verified   []string `json:"verified"`
		Unverified []string `json:"unverified"`
	} `json:"emails"`
	Profile struct {
		FirstName  string `json:"firstName"`
		LastName   string `json:"lastName"`
		Nickname   string `json:"nickname"`
		Email      string `json:"email"`
		PhotoURL   string `json:"photoURL"`
		Gender     string `json:"gender"`
		BirthYear  int    `json:"birthYear"`
		BirthMonth int    `json:"birthMonth"`
		BirthDay   int    `json:"birthDay"`
		City       string `json:"city"`
		Country    string `json:"country"`
		Locale     string `json:"locale"`
	} `json:"profile"`
	Data        json.RawMessage `json:"data"`
	Preferences json.RawMessage `json:"preferences"`
	Identities  []struct {
		Provider    string `json:"provider"`
		ProviderUID string `json:"providerUID"`
	} `json:"identities"`
	Password struct {
		Hash         string `json:"hash"`
		HashSettings struct {
			Algorithm string `json:"algorithm"`
			Rounds    int    `json:"rounds"`
			Salt      string `json:"salt"`
		} `json:"hashSettings"`
	} `json:"password"`
}

type auth0Hash struct {
	Algorithm string `json:"algorithm"`
	Hash      struct {
		Encoding string `json:"encoding"`
		Value    string `json:"value"`
	} `json:"hash"`
}

type gigyaProfile struct {
	Gender      string          `json:"gender,omitempty"`
	BirthYear   int             `json:"birthYear,omitempty"`
	BirthMonth  int             `json:"birthMonth,omitempty"`
	BirthDay    int             `json:"birthDay,omitempty"`
	City        string          `json:"city,omitempty"`
	Country     string          `json:"country,omitempty"`
	Locale      string          `json:"locale,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
	Preferences json.RawMessage `json:"preferences,omitempty"`
}

type gigyaProvenance struct {
	Created         string   `json:"created,omitempty"`
	Registered      string   `json:"registered,omitempty"`
	LastLogin       *string  `json:"lastLogin"`
	LastUpdated     string   `json:"lastUpdated,omitempty"`
	LoginProvider   string   `json:"loginProvider,omitempty"`
	SocialProviders string   `json:"socialProviders,omitempty"`
	LoginIDs        []string `json:"loginIDs,omitempty"`
	PhoneNumber     string   `json:"phoneNumber,omitempty"`
	RegSource       string   `json:"regSource,omitempty"`
}

type auth0User struct {
	UserID             string       `json:"user_id"`
	Email              string       `json:"email"`
	EmailVerified      bool         `json:"email_verified"`
	GivenName          string       `json:"given_name,omitempty"`
	FamilyName         string       `json:"family_name,omitempty"`
	Name               string       `json:"name,omitempty"`
	Nickname           string       `json:"nickname,omitempty"`
	Picture            string       `json:"picture,omitempty"`
	Blocked            bool         `json:"blocked"`
	CustomPasswordHash *auth0Hash   `json:"custom_password_hash,omitempty"`
	UserMetadata       gigyaProfile `json:"user_metadata"`
	AppMetadata        struct {
		Gigya gigyaProvenance `json:"gigya"`
	} `json:"app_metadata"`
}

// structGigya maps one account line through typed structs; ok is false for a line that does not
// decode.
func structGigya(line []byte, u *auth0User) ([]byte, bool) {
	var a gigyaAccount
	if err := json.UnmarshalNoEscape(line, &a); err != nil {
		return nil, false
	}
	*u = auth0User{UserID: a.UID, GivenName: a.Profile.FirstName, FamilyName: a.Profile.LastName,
		Nickname: a.Profile.Nickname, Picture: a.Profile.PhotoURL, Blocked: a.IsActive != nil && !*a.IsActive}
	u.Email = a.Profile.Email
	if len(a.LoginIDs.Emails) > 0 {
		u.Email = a.LoginIDs.Emails[0]
	}
	for _, v := range a.Emails.Verified {
		if strings.EqualFold(v, u.Email) {
			u.EmailVerified = true
		}
	}
	u.Name = strings.TrimSpace(a.Profile.FirstName + " " + a.Profile.LastName)
	p := &a.Profile
	u.UserMetadata = gigyaProfile{Gender: p.Gender, BirthYear: p.BirthYear, BirthMonth: p.BirthMonth, BirthDay: p.BirthDay,
		City: p.City, Country: p.Country, Locale: p.Locale, Data: a.Data, Preferences: a.Preferences}
	if a.Password.Hash != "" {
		h := &auth0Hash{Algorithm: "pbkdf2"}
		h.Hash.Encoding = "utf8"
		h.Hash.Value = "$pbkdf2-sha1$i=" + strconv.Itoa(a.Password.HashSettings.Rounds) + ",l=20$" +
			strings.TrimRight(a.Password.HashSettings.Salt, "=") + "$" + strings.TrimRight(a.Password.Hash, "=")
		u.CustomPasswordHash = h
	}
	g := &u.AppMetadata.Gigya
	*g = gigyaProvenance{Created: a.Created, Registered: a.Registered, LastUpdated: a.LastUpdated,
		LoginProvider: a.LoginProvider, SocialProviders: a.SocialProviders, LoginIDs: a.LoginIDs.Emails,
		PhoneNumber: a.PhoneNumber, RegSource: a.RegSource}
	if !strings.HasPrefix(a.LastLogin, "0001-01-01") && a.LastLogin != "" {
		g.LastLogin = &a.LastLogin
	}
	b, err := json.Marshal(u)
	return b, err == nil
}

// exportUser is the part of an Auth0 export line the anchor maps for the json source.
type exportUser struct {
	UserID        string          `json:"user_id"`
	Email         string          `json:"email"`
	EmailVerified bool            `json:"email_verified"`
	Username      string          `json:"username,omitempty"`
	GivenName     string          `json:"given_name,omitempty"`
	FamilyName    string          `json:"family_name,omitempty"`
	Name          string          `json:"name,omitempty"`
	Nickname      string          `json:"nickname,omitempty"`
	Picture       string          `json:"picture,omitempty"`
	Blocked       bool            `json:"blocked,omitempty"`
	CreatedAt     string          `json:"created_at,omitempty"`
	UpdatedAt     string          `json:"updated_at,omitempty"`
	LastLogin     string          `json:"last_login,omitempty"`
	LoginsCount   int             `json:"logins_count,omitempty"`
	Identities    json.RawMessage `json:"identities,omitempty"`
	UserMetadata  json.RawMessage `json:"user_metadata,omitempty"`
	AppMetadata   json.RawMessage `json:"app_metadata,omitempty"`
}

type importUser struct {
	UserID        string          `json:"user_id"`
	Email         string          `json:"email"`
	EmailVerified bool            `json:"email_verified"`
	Username      string          `json:"username,omitempty"`
	GivenName     string          `json:"given_name,omitempty"`
	FamilyName    string          `json:"family_name,omitempty"`
	Name          string          `json:"name,omitempty"`
	Nickname      string          `json:"nickname,omitempty"`
	Picture       string          `json:"picture,omitempty"`
	Blocked       bool            `json:"blocked,omitempty"`
	UserMetadata  json.RawMessage `json:"user_metadata,omitempty"`
	AppMetadata   struct {
		Legacy struct {
			CreatedAt   string          `json:"created_at,omitempty"`
			UpdatedAt   string          `json:"updated_at,omitempty"`
			LastLogin   string          `json:"last_login,omitempty"`
			LoginsCount int             `json:"logins_count,omitempty"`
			Identities  json.RawMessage `json:"identities,omitempty"`
		} `json:"legacy"`
		Rest json.RawMessage `json:"rest,omitempty"`
	} `json:"app_metadata"`
}

// structExport maps one Auth0 export line: strip "auth0|", move the read-only fields under
// app_metadata.legacy.
func structExport(line []byte, u *importUser) ([]byte, bool) {
	var a exportUser
	if err := json.UnmarshalNoEscape(line, &a); err != nil {
		return nil, false
	}
	*u = importUser{UserID: strings.TrimPrefix(a.UserID, "auth0|"), Email: a.Email, EmailVerified: a.EmailVerified,
		Username: a.Username, GivenName: a.GivenName, FamilyName: a.FamilyName, Name: a.Name, Nickname: a.Nickname,
		Picture: a.Picture, Blocked: a.Blocked, UserMetadata: a.UserMetadata}
	l := &u.AppMetadata.Legacy
	l.CreatedAt, l.UpdatedAt, l.LastLogin, l.LoginsCount, l.Identities = a.CreatedAt, a.UpdatedAt, a.LastLogin, a.LoginsCount, a.Identities
	u.AppMetadata.Rest = a.AppMetadata
	b, err := json.Marshal(u)
	return b, err == nil
}
