// Package architecture holds the tests that keep the packages in the
// layers docs/ARCHITECTURE.md draws, and their files and functions short.
// It has no code of its own.
package architecture
