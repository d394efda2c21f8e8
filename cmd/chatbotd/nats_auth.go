package main

import (
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// taskConsumers are the durable consumers of the task router (startTasks):
// each task's name. The projections' consumers are named after them.
var taskConsumers = []string{"unlock_timers", "user_erasures", "session_cleanup", "dead_letter_requests",
	"mail_account_locked", "mail_password_changed", "mail_password_reset", "mail_api_key_issued", "mail_quota_threshold"}

// protectedConsumers are the durable consumers chatbotd keeps on EVENTS,
// which the audit user may not touch. docker/nats.conf lists the same
// names; TestTheAuditUserCannotTouchTheProductsConsumers checks both.
func protectedConsumers() []string {
	names := append([]string(nil), taskConsumers...)
	for _, p := range projector.All() {
		names = append(names, p.Name)
	}
	return names
}

// protectedStreams are the streams chatbotd keeps beside EVENTS, one per
// projection that may be partitioned (its partitions' consumers are
// there), which the audit user may not touch at all. docker/nats.conf
// denies the same.
func protectedStreams() []string {
	var names []string
	for _, name := range partitionable {
		names = append(names, projector.PartitionStream(name))
	}
	return names
}

// embeddedUsers are the users of the embedded server of cfg.DataDir.
func embeddedUsers(cfg config.Config) (*natsx.Users, error) {
	return natsx.EmbeddedUsers(cfg.DataDir, protectedConsumers(), protectedStreams()...)
}

// externalAuth are the client options for the server of NATS_URL.
func externalAuth(a config.NATSAuth) ([]nats.Option, error) {
	return natsx.ClientAuth{
		CredsFile: a.CredsFile, User: a.User, PasswordFile: a.PasswordFile,
		TLSCAFile: a.TLSCAFile, TLSCertFile: a.TLSCertFile, TLSKeyFile: a.TLSKeyFile,
	}.Options()
}

// reachable tells whether a NATS server answers at url. A server that
// announced itself is given a few tries: starting a second server on the
// same store while the first is only slow would be far worse than waiting.
// A server that refuses the credentials is there all the same.
func reachable(url string, auth ...nats.Option) bool {
	opts := append([]nats.Option{nats.Timeout(2 * time.Second), nats.MaxReconnects(0)}, auth...)
	for attempt := 0; attempt < 3; attempt++ {
		nc, err := nats.Connect(url, opts...)
		if err == nil {
			nc.Close()
			return true
		}
		if errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(err.Error()), "authorization") {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}
