// Package all registers every source kind; import it for its side effect.
package all

import (
	_ "github.com/usher-migrate/usher/sources/auth0"     // auth0
	_ "github.com/usher-migrate/usher/sources/cognito"   // cognito
	_ "github.com/usher-migrate/usher/sources/csvfile"   // csv
	_ "github.com/usher-migrate/usher/sources/firebase"  // firebase
	_ "github.com/usher-migrate/usher/sources/gigya"     // gigya
	_ "github.com/usher-migrate/usher/sources/jsonfile"  // json
	_ "github.com/usher-migrate/usher/sources/keycloak"  // keycloak
	_ "github.com/usher-migrate/usher/sources/okta"      // okta
	_ "github.com/usher-migrate/usher/sources/stormpath" // stormpath
)
