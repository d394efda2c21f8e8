// Package config reads the process configuration from environment variables
// and validates it once at start, so that a bad value stops the process with
// one line that names the variable.
package config
