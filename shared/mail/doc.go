// Package mail sends the platform's mail over SMTP (github.com/wneessen/go-mail)
// and renders it from templates embedded in the binary, each in plain
// text and HTML.
package mail
