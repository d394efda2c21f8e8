// Package architecture holds the test that keeps the packages in the
// layers docs/ARCHITECTURE.md draws. It has no code of its own.
package architecture
