package auth

// Permission names one thing a role may do.
type Permission string

// Permissions. Every route declares the one it needs, or that it is public.
const (
	PermProfileRead    Permission = "profile:read"    // read one's own profile
	PermProfileWrite   Permission = "profile:write"   // change one's own profile and password, log out
	PermRolesRead      Permission = "roles:read"      // list roles and their permissions
	PermConfigRead     Permission = "config:read"     // read the platform configuration
	PermConfigWrite    Permission = "config:write"    // change the platform configuration
	PermCompaniesRead  Permission = "companies:read"  // list and read every company
	PermCompaniesWrite Permission = "companies:write" // suspend and reactivate companies
	PermUsersRead      Permission = "users:read"      // list and read any user, its login attempts
	PermUsersWrite     Permission = "users:write"     // create, change, delete and unlock any user
	PermAuditRead      Permission = "audit:read"      // read the audit log of every event

	PermCompanyRead  Permission = "company:read"  // read one's company: profile, members, chatbots, keys (no secrets), usage
	PermCompanyWrite Permission = "company:write" // manage one's company: profile, members, chatbots, keys, limits

	PermProjectionsRead    Permission = "projections:read"    // see every read model's progress
	PermProjectionsRebuild Permission = "projections:rebuild" // rebuild a read model from the stream
	PermDeadLettersRead    Permission = "dead_letters:read"   // list and inspect the messages consumers parked
	PermDeadLettersWrite   Permission = "dead_letters:write"  // retry or discard a parked message
)

// Role is one role with what it may do.
type Role struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
}

// Roles is the permission matrix: every role, what it is for, and what it
// may do. It is the one place permissions are granted.
var Roles = []Role{
	{Name: RoleAdmin, Description: "platform operator: every user, company and the platform configuration",
		Permissions: []Permission{PermProfileRead, PermProfileWrite, PermRolesRead, PermConfigRead, PermConfigWrite,
			PermCompaniesRead, PermCompaniesWrite, PermUsersRead, PermUsersWrite, PermAuditRead,
			PermProjectionsRead, PermProjectionsRebuild, PermDeadLettersRead, PermDeadLettersWrite,
			PermCompanyRead, PermCompanyWrite}},
	{Name: RoleCompany, Description: "a company's manager: its members, chatbots, API keys and usage",
		Permissions: []Permission{PermProfileRead, PermProfileWrite, PermCompanyRead, PermCompanyWrite}},
	{Name: RoleUser, Description: "a company's member: reads its company's chatbots and usage",
		Permissions: []Permission{PermProfileRead, PermProfileWrite, PermCompanyRead}},
}

// Can reports whether the principal's role grants perm.
func (p Principal) Can(perm Permission) bool {
	for _, r := range Roles {
		if r.Name != p.Role {
			continue
		}
		for _, have := range r.Permissions {
			if have == perm {
				return true
			}
		}
	}
	return false
}

// ValidRole reports whether role exists.
func ValidRole(role string) bool {
	for _, r := range Roles {
		if r.Name == role {
			return true
		}
	}
	return false
}
