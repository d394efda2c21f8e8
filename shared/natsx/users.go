package natsx

import (
	"github.com/nats-io/nats-server/v2/server"
)

// The users of the embedded server. docker/nats.conf declares the same
// two, with the same permissions, for the compose stack.
const (
	ServiceUser = "chatbotd" // what every chatbotd process connects as
	AuditUser   = "audit"    // a read-only consumer of the event stream
)

// ServiceInboxPrefix is where chatbotd receives its replies. It is not
// _INBOX, which the audit user may subscribe to for its own replies: a
// reply to chatbotd can carry a KV value (a password hash), and the audit
// user must never see one.
const ServiceInboxPrefix = "_CHATBOTD"

// Users are the credentials the embedded server accepts.
type Users struct {
	Service Credentials
	Audit   Credentials
	// ProtectedConsumers are the durable consumers chatbotd itself keeps
	// on EVENTS (projections, tasks). The audit user may create, read and
	// delete consumers, but never these: deleting, updating or pulling from
	// one would break a read model or a task.
	ProtectedConsumers []string
	// ProtectedStreams are the streams chatbotd keeps beside EVENTS (those
	// that feed partitioned projections): the audit user may do nothing
	// with them or their consumers.
	ProtectedStreams []string
}

// Credentials are a user name and its password.
type Credentials struct {
	User     string
	Password string
}

// serverUsers turns u into nats-server users: the service user may do
// anything in the account, the audit user what AuditPermissions allows.
func (u *Users) serverUsers() []*server.User {
	return []*server.User{
		{Username: u.Service.User, Password: u.Service.Password},
		{Username: u.Audit.User, Password: u.Audit.Password, Permissions: AuditPermissions(u.ProtectedConsumers, u.ProtectedStreams...)},
	}
}

// stream is the one stream the audit user reads; it is events.StreamName,
// repeated here because shared packages do not import the event catalog.
const stream = "EVENTS"

// AuditPermissions are the rights of a read-only audit consumer, as the
// stock nats CLI exercises them (nats sub, nats consumer add|info|next|rm,
// nats stream info|get, nats sub --stream): core subscriptions to events.>,
// stream info, gets, and consumers of its own on EVENTS. Everything it is
// not allowed is refused; the deny list repeats the dangerous subjects so
// that widening an allow can never open them (deny wins in nats-server).
func AuditPermissions(protected []string, streams ...string) *server.Permissions {
	api := "$JS.API."
	allow := []string{
		api + "INFO",
		api + "STREAM.INFO." + stream,
		api + "STREAM.MSG.GET." + stream,
		api + "DIRECT.GET." + stream, api + "DIRECT.GET." + stream + ".>",
		api + "CONSUMER.CREATE." + stream + ".>",
		api + "CONSUMER.DURABLE.CREATE." + stream + ".*",
		api + "CONSUMER.INFO." + stream + ".*",
		api + "CONSUMER.DELETE." + stream + ".*",
		api + "CONSUMER.MSG.NEXT." + stream + ".*",
		"$JS.ACK." + stream + ".>", // acknowledgements of its consumers
		"$JS.FC." + stream + ".>",  // flow control of push consumers
	}
	deny := []string{
		"events.>", "timers.>", "$KV.>",
		"deadletters.>", // an operator's retry, carried to the consumer's process, and the answers to the write side (shared/deadletter)
		api + "STREAM.PURGE.>", api + "STREAM.DELETE.>", api + "STREAM.MSG.DELETE.>",
		api + "STREAM.UPDATE.>", api + "STREAM.CREATE.>",
		// The legacy form takes the consumer's name from the body, where
		// no subject permission can see it.
		api + "CONSUMER.CREATE." + stream,
	}
	for _, name := range protected {
		deny = append(deny,
			api+"CONSUMER.*."+stream+"."+name,      // CREATE, INFO, DELETE
			api+"CONSUMER.*."+stream+"."+name+".>", // CREATE with a filter
			api+"CONSUMER.*.*."+stream+"."+name,    // DURABLE.CREATE, MSG.NEXT
			"$JS.ACK."+stream+"."+name+".>",
		)
	}
	for _, s := range streams {
		deny = append(deny,
			api+"*.*."+s,        // STREAM.INFO, DIRECT.GET
			api+"*.*."+s+".>",   // CONSUMER.CREATE, INFO, DELETE, DIRECT.GET by subject
			api+"*.*.*."+s+".>", // CONSUMER.DURABLE.CREATE, MSG.NEXT
			"$JS.ACK."+s+".>",
		)
	}
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: allow, Deny: deny},
		Subscribe: &server.SubjectPermission{
			Allow: []string{"events.>", "_INBOX.>"},
			Deny:  []string{"timers.>", "$KV.>", ServiceInboxPrefix + ".>", "deadletters.>"},
		},
	}
}
