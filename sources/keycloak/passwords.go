package keycloak

// Keycloak's password credentials (the "keycloak" password material of the mapping and of lazy
// profiles) live in keycloakhash, registered with pipeline/hash/legacy when this system is linked in.
import _ "github.com/usher-migrate/usher/sources/keycloak/keycloakhash"
