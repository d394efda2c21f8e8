package auth

// Permission names one thing a role may do.
type Permission string

// Permissions. Every route declares the one it needs, or that it is public.
const (
	PermProfileRead  Permission = "profile:read"  // read one's own profile
	PermProfileWrite Permission = "profile:write" // change one's own profile and password, log out
)

// rolePermissions is the permission matrix.
var rolePermissions = map[string][]Permission{
	RoleAdmin:   {PermProfileRead, PermProfileWrite},
	RoleCompany: {PermProfileRead, PermProfileWrite},
	RoleUser:    {PermProfileRead, PermProfileWrite},
}

// Can reports whether the principal's role grants perm.
func (p Principal) Can(perm Permission) bool {
	for _, have := range rolePermissions[p.Role] {
		if have == perm {
			return true
		}
	}
	return false
}

// ValidRole reports whether role exists.
func ValidRole(role string) bool {
	_, ok := rolePermissions[role]
	return ok
}
