// Package auth holds the security primitives every side uses: password
// hashing, access-token signing and verification with rotating keys, the
// authenticated principal and the permission check, the revocation view,
// the client IP behind trusted proxies and the per-IP throttle.
package auth
