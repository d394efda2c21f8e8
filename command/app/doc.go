// Package app holds the write side's commands, one file each: they
// validate, load aggregates, decide through the domain packages and append
// through the event store.
package app
