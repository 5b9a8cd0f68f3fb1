package pipeline

import "testing"

// TestDecide: the routing of a valid user by its password, for every option value.
func TestDecide(t *testing.T) {
	def := Routing{Passwordless: "import", Unimportable: "lazy", SocialOnly: "reject"}
	with := func(f func(*Routing)) Routing { r := def; f(&r); return r }
	cases := []struct {
		name       string
		rt         Routing
		importable bool
		format     string
		social     bool
		want       Outcome
		reason     string // lazy reason or reject code
		strip      bool
		legacy     bool
	}{
		{"an importable hash", def, true, "bcrypt", false, Imported, "", false, false},
		{"an unimportable hash goes to lazy with its material", def, false, "md5_crypt", false, Lazy, CodeUnsupportedHash, false, true},
		{"--unimportable import strips it", with(func(r *Routing) { r.Unimportable = "import" }), false, "md5_crypt", false, Imported, "", true, false},
		{"--unimportable reject", with(func(r *Routing) { r.Unimportable = "reject" }), false, "md5_crypt", false, Rejected, CodeUnsupportedHash, false, false},
		{"no password: imported (they reset)", def, true, "none", false, Imported, "", false, false},
		{"--passwordless lazy", with(func(r *Routing) { r.Passwordless = "lazy" }), true, "none", false, Lazy, CodeNoPassword, false, false},
		{"--passwordless reject", with(func(r *Routing) { r.Passwordless = "reject" }), true, "none", false, Rejected, CodeNoPassword, false, false},
		{"social-only without a password is rejected", def, true, "none", true, Rejected, CodeSocialOnly, false, false},
		{"--social-only import hands it to --passwordless", with(func(r *Routing) { r.SocialOnly = "import"; r.Passwordless = "lazy" }), true, "none", true, Lazy, CodeNoPassword, false, false},
		{"social-only with a password is imported", def, true, "bcrypt", true, Imported, "", false, false},
		{"usher stage holds what it would import", with(func(r *Routing) { r.AllLazy = true }), true, "bcrypt", false, Lazy, "staged", false, false},
		{"usher stage keeps a lazy reason", with(func(r *Routing) { r.AllLazy = true }), false, "md5_crypt", false, Lazy, CodeUnsupportedHash, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.rt.Decide(tc.importable, "", tc.format, tc.social, []string{"google"})
			reason := d.LazyReason
			if d.Issue != nil {
				reason = d.Issue.Code
			}
			if d.Outcome != tc.want || reason != tc.reason || d.Strip != tc.strip || d.KeepLegacy != tc.legacy {
				t.Errorf("got %v %q strip %v legacy %v, want %v %q strip %v legacy %v", d.Outcome, reason, d.Strip, d.KeepLegacy, tc.want, tc.reason, tc.strip, tc.legacy)
			}
		})
	}
}
