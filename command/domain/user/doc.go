// Package user is the user aggregate: its state folded from events and
// the decisions taken on it (registration, profile, login and lockout).
// It is pure: no I/O, no clock, no randomness; callers pass them in.
package user
