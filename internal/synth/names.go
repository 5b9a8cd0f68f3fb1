package synth

// name is one given or family name: its display form and the lower-case ASCII slug used to build
// e-mail addresses and nicknames.
type name struct {
	display string
	slug    string
}

// escapedName is a name whose display form has been JSON-escaped once, at package init, so the
// hot loop only appends bytes.
type escapedName struct {
	json string // escaped display form, without the surrounding quotes
	slug string
}

// givenNames mixes common ASCII names with non-ASCII ones (accents, CJK, Cyrillic, Greek,
// Arabic) and a few that need JSON escaping (double quotes).
var givenNames = []name{
	{"James", "james"}, {"Mary", "mary"}, {"Robert", "robert"}, {"Patricia", "patricia"},
	{"John", "john"}, {"Jennifer", "jennifer"}, {"Michael", "michael"}, {"Linda", "linda"},
	{"David", "david"}, {"Elizabeth", "elizabeth"}, {"William", "william"}, {"Barbara", "barbara"},
	{"Richard", "richard"}, {"Susan", "susan"}, {"Joseph", "joseph"}, {"Jessica", "jessica"},
	{"Thomas", "thomas"}, {"Sarah", "sarah"}, {"Charles", "charles"}, {"Karen", "karen"},
	{"Daniel", "daniel"}, {"Nancy", "nancy"}, {"Matthew", "matthew"}, {"Lisa", "lisa"},
	{"Anthony", "anthony"}, {"Emma", "emma"}, {"Olivia", "olivia"}, {"Liam", "liam"},
	{"Noah", "noah"}, {"Sofia", "sofia"}, {"Lucas", "lucas"}, {"Mia", "mia"},
	{"Hiroshi", "hiroshi"}, {"Yuki", "yuki"}, {"Priya", "priya"}, {"Arjun", "arjun"},
	{"Fatima", "fatima"}, {"Omar", "omar"}, {"Ingrid", "ingrid"}, {"Lars", "lars"},
	{"Mary-Kate", "marykate"}, {"D'Arcy", "darcy"},
	{"José", "jose"}, {"Zoë", "zoe"}, {"François", "francois"}, {"Søren", "soren"},
	{"Łukasz", "lukasz"}, {"Björn", "bjorn"}, {"Chloé", "chloe"}, {"Renée", "renee"},
	{"Ángel", "angel"}, {"İlker", "ilker"}, {"伟", "wei"}, {"娜", "na"},
	{"Дмитрий", "dmitry"}, {"Αλέξανδρος", "alexandros"}, {"محمد", "mohammed"},
	{`Jean "JJ"`, "jean"}, {`Robert "Bob"`, "bob"},
}

// familyNames mixes common ASCII surnames with non-ASCII ones and a couple needing escaping
// (a double quote, a backslash).
var familyNames = []name{
	{"Smith", "smith"}, {"Johnson", "johnson"}, {"Williams", "williams"}, {"Brown", "brown"},
	{"Jones", "jones"}, {"Miller", "miller"}, {"Davis", "davis"}, {"Rodriguez", "rodriguez"},
	{"Martinez", "martinez"}, {"Hernandez", "hernandez"}, {"Lopez", "lopez"}, {"Wilson", "wilson"},
	{"Anderson", "anderson"}, {"Taylor", "taylor"}, {"Moore", "moore"}, {"Jackson", "jackson"},
	{"Martin", "martin"}, {"Lee", "lee"}, {"Thompson", "thompson"}, {"White", "white"},
	{"Harris", "harris"}, {"Clark", "clark"}, {"Lewis", "lewis"}, {"Walker", "walker"},
	{"Young", "young"}, {"Allen", "allen"}, {"King", "king"}, {"Wright", "wright"},
	{"Kowalski", "kowalski"}, {"Dubois", "dubois"}, {"Rossi", "rossi"}, {"Papadopoulos", "papadopoulos"},
	{"Van der Berg", "vanderberg"}, {"O'Brien", "obrien"},
	{"García", "garcia"}, {"Müller", "muller"}, {"Schröder", "schroder"}, {"Nguyễn", "nguyen"},
	{"Jørgensen", "jorgensen"}, {"Øvergaard", "overgaard"}, {"Ó Súilleabháin", "osuilleabhain"},
	{"李", "li"}, {"王", "wang"}, {"田中", "tanaka"}, {"Иванов", "ivanov"},
	{`Smith "Jr."`, "smithjr"}, {`Doe\Roe`, "doeroe"},
}

var (
	locales = []string{
		"en-US", "en-US", "en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR",
		"ja-JP", "zh-CN", "it-IT", "nl-NL", "sv-SE", "pl-PL",
	}
	timezones = []string{
		"America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
		"Europe/Berlin", "Europe/Paris", "Europe/Madrid", "America/Sao_Paulo", "Asia/Tokyo",
		"Asia/Shanghai", "Asia/Kolkata", "Australia/Sydney",
	}
	plans      = []string{"free", "free", "free", "starter", "pro", "pro", "team", "enterprise"}
	themes     = []string{"light", "dark", "system"}
	units      = []string{"metric", "imperial"}
	referrers  = []string{"google", "newsletter", "partner", "direct", "twitter", "podcast"}
	tiers      = []string{"bronze", "silver", "gold", "platinum"}
	tlds       = []string{"com", "com", "com", "org", "net", "io", "de", "fr", "co.uk"}
	extraRoles = []string{"editor", "billing-admin", "support", "viewer", "admin", "developer"}
	features   = []string{"beta-dashboard", "sso", "audit-log", "api-access", "dark-launch", "export-v2"}
	// connections are the database connection names used in identities[].connection.
	connections = []string{
		"Username-Password-Authentication", "Username-Password-Authentication",
		"legacy-users", "customers",
	}
)

// Defect payload variants, cycled per defect kind.
var (
	// reservedKeys are app_metadata members Auth0 forbids, with a plausible JSON value each.
	reservedKeys = []string{
		`"email_verified":true`, `"user_id":"abc123"`, `"created_at":"2020-01-01T00:00:00.000Z"`,
		`"__tenant":"acme"`, `"clientID":"a1b2c3d4e5"`, `"lastLogin":"2021-05-05T10:00:00.000Z"`,
		`"loginsCount":7`, `"blocked":false`, `"identities":[]`, `"metadata":{"source":"legacy"}`,
	}
	// unknownKeys are top-level members that are neither import keys nor Auth0 export fields.
	unknownKeys = []string{
		`"favorite_color":"teal"`, `"shoe_size":44`, `"legacyRole":"superuser"`,
		`"Id":"legacy-0001"`, `"password_plain":"hunter2"`, `"tenant_id":"t-42"`,
	}
	// garbageLines are fixed junk lines; variant 0 (random noise) and 1 (random bytes including
	// invalid UTF-8) are generated on the fly.
	garbageLines = []string{
		`<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>`,
		`{"email" "broken@example.com", "given_name": }`,
		`["not","an","object"]`,
		`user@example.com,John,Smith,true`,
	}
)

var (
	escGiven  = escapeNames(givenNames)
	escFamily = escapeNames(familyNames)
)

func escapeNames(ns []name) []escapedName {
	out := make([]escapedName, len(ns))
	for i, n := range ns {
		b := appendJSONString(nil, n.display)
		out[i] = escapedName{json: string(b[1 : len(b)-1]), slug: n.slug}
	}
	return out
}
