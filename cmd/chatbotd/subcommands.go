package main

import (
	"context"
	"slices"

	"github.com/chatbotsaas/chatbot/shared/config"
)

// subcommand is one verb of the CLI.
type subcommand struct {
	name     string
	usage    string
	summary  string
	detail   string
	settings []string // the variables it reads; nil means all of them
	run      func(ctx context.Context, e env, cfg config.Config, args []string) error
}

var (
	httpSettings  = []string{"HTTP_ADDR", "HTTP_READ_TIMEOUT", "HTTP_WRITE_TIMEOUT", "HTTP_IDLE_TIMEOUT", "REQUEST_TIMEOUT", "SHUTDOWN_TIMEOUT", "BODY_LIMIT", "CORS_ALLOWED_ORIGINS"}
	storeSettings = []string{"DATABASE_URL", "DATABASE_MAX_CONNS", "AUTO_MIGRATE", "NATS_URL", "NATS_LISTEN", "NATS_SYNC_INTERVAL", "NATS_REPLICAS",
		"NATS_CREDS_FILE", "NATS_USER", "NATS_PASSWORD_FILE", "NATS_TLS_CA_FILE", "NATS_TLS_CERT_FILE", "NATS_TLS_KEY_FILE", "DATA_DIR"}
	obsSettings   = []string{"LOG_LEVEL", "LOG_FORMAT", "SENTRY_DSN", "SENTRY_ENVIRONMENT"}
	adminSettings = []string{"ADMIN_EMAIL", "ADMIN_PASSWORD"}
	jwtSettings   = []string{"JWT_PRIVATE_KEY_FILE", "JWT_PUBLIC_KEY_FILES", "JWT_ISSUER", "JWT_AUDIENCE", "BCRYPT_COST", "PASSWORD_PEPPER", "PASSWORD_PEPPER_FILE", "TRUSTED_PROXIES"}
)

// subcommands are the verbs of the CLI, in the order --help lists them.
func subcommands() []subcommand {
	return slices.Concat(serverCommands(), dataCommands(), streamCommands(), toolCommands())
}

// serverCommands run the product, whole or in parts, until SIGINT or SIGTERM.
func serverCommands() []subcommand {
	return []subcommand{
		{
			name: "serve", usage: "serve", summary: "run the whole product in one process",
			detail: "Starts an embedded NATS server with JetStream under DATA_DIR (unless NATS_URL is set),\n" +
				"applies migrations (AUTO_MIGRATE), and serves the command and query APIs on HTTP_ADDR\n" +
				"while the projectors run. SIGINT or SIGTERM stops it gracefully.",
			settings: slices.Concat(httpSettings, storeSettings, []string{"REDIS_URL", "READ_WAIT_TIMEOUT"}, obsSettings, jwtSettings, adminSettings),
			run:      runServe,
		},
		{
			name: "command", usage: "command", summary: "run the write API alone",
			detail: "Serves the command (write) API on HTTP_ADDR. Without NATS_URL it uses the embedded server\n" +
				"a running `chatbotd serve` announced under DATA_DIR, or starts one itself.",
			settings: slices.Concat(httpSettings, storeSettings, []string{"REDIS_URL"}, obsSettings, jwtSettings, adminSettings),
			run:      runSplit(partCommand),
		},
		{
			name: "query", usage: "query", summary: "run the read API alone",
			detail: "Serves the query (read) API on HTTP_ADDR, over the Postgres read models.\n" +
				"Finds NATS as `chatbotd command` does.",
			settings: slices.Concat(httpSettings, storeSettings, []string{"REDIS_URL", "READ_WAIT_TIMEOUT"}, obsSettings, jwtSettings),
			run:      runSplit(partQuery),
		},
		{
			name: "projector", usage: "projector", summary: "run the projectors alone",
			detail: "Builds the read models from the event stream. HTTP_ADDR serves /healthz, /readyz and\n" +
				"/metrics only. Finds NATS as `chatbotd command` does.",
			settings: slices.Concat([]string{"HTTP_ADDR", "SHUTDOWN_TIMEOUT"}, storeSettings, obsSettings),
			run:      runSplit(partProjector),
		},
		{
			name: "nats", usage: "nats", summary: "run the embedded NATS server alone",
			detail: "Runs the NATS server with JetStream that serve embeds, under DATA_DIR, on NATS_LISTEN,\n" +
				"with the product's users and permissions, until SIGINT or SIGTERM: the broker of a split\n" +
				"deployment on one host, which `chatbotd command`, `query` and `projector` find through DATA_DIR.",
			settings: []string{"DATA_DIR", "NATS_LISTEN", "NATS_SYNC_INTERVAL", "LOG_LEVEL", "LOG_FORMAT"},
			run:      runNATS,
		},
	}
}

// dataCommands look after the database, the accounts and the read models.
func dataCommands() []subcommand {
	return []subcommand{
		{
			name: "migrate", usage: "migrate up | down [N|all] | version | force V",
			summary: "apply or roll back the database migrations",
			detail: "up applies every pending migration (creating the database if it is missing);\n" +
				"down rolls back one migration, N of them, or all; version prints the applied version;\n" +
				"force V records version V without running anything (to clear a failed, dirty migration).",
			settings: []string{"DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT"},
			run:      runMigrate,
		},
		{
			name: "admin", usage: "admin create --email EMAIL [--name NAME] --password-stdin | admin rebuild PROJECTION",
			summary: "create an administrator account; rebuild a read model from the stream",
			detail: "create reads the password from standard input (one line), so it never shows in the process list\n" +
				"or the shell history: printf '%s\\n' \"$PASSWORD\" | chatbotd admin create --email ops@example.com --password-stdin\n" +
				"rebuild asks the projection's running projector to replay the stream into a copy of its tables\n" +
				"and swap them in, while the live read model keeps serving (GET /v1/admin/projections shows it).",
			settings: slices.Concat(storeSettings, obsSettings, jwtSettings),
			run:      runAdmin,
		},
		{
			name: "replay", usage: replayUsage,
			summary: "rebuild read models from the stream, showing progress; build a past one beside them",
			detail: "replay asks the projection's running projector for a rebuild (as POST /v1/admin/projections/{name}/rebuild\n" +
				"does) and waits for it, or rebuilds in this process when no projector runs; either way the live read model\n" +
				"serves until the rebuilt tables are swapped in, and it exits 0 once they are. Progress is a bar on a terminal,\n" +
				"a line every few seconds otherwise. Ctrl-C leaves the live read model as it was; running it again starts over.\n" +
				"--into SCHEMA builds the read models into that schema instead, as they were at --to-position N (default:\n" +
				"the stream's end), and leaves them there for queries; the live ones are not touched.",
			settings: slices.Concat(storeSettings, obsSettings, []string{"PERSONAL_DATA_KEY_FILE", "PERSONAL_DATA_PREVIOUS_KEY_FILE"}),
			run:      runReplay,
		},
		{
			name: "projections", usage: projectionsUsage,
			summary: "show the read models' progress; check one against a replay of the stream",
			detail: "status prints, for each projection, its tables, position, the stream's end, lag, state (running, stopped,\n" +
				"rebuild_requested, rebuilding with progress, failed), open dead letters and last rebuild (--json: as\n" +
				"GET /v1/admin/projections). verify replays a projection into a scratch schema up to its live checkpoint,\n" +
				"compares the two row by row (an md5 per row, keyed by primary key), prints each row that differs with its\n" +
				"live and replayed values, drops the scratch schema, and exits 0 only when they are equal.",
			settings: slices.Concat(storeSettings, obsSettings, []string{"PERSONAL_DATA_KEY_FILE", "PERSONAL_DATA_PREVIOUS_KEY_FILE"}),
			run:      runProjections,
		},
	}
}

// streamCommands read the event stream, what its consumers parked, and the
// keys sealing its personal fields.
func streamCommands() []subcommand {
	return []subcommand{
		{
			name: "events", usage: eventsTailUsage + " | events credentials",
			summary: "print the event stream for audits; connect the stock nats CLI as an audit consumer",
			detail: "tail prints one event a line with its position: the envelope as stored (JSON, the default) or\n" +
				"a readable line (--format text). It reads from the first event, from --since D (a duration such\n" +
				"as 24h) or --from-position N, to the stream's end as it was at start; --follow goes on until\n" +
				"Ctrl-C. --tenant T, --type A,B (comma-separated) or --subject S (a NATS subject filter inside\n" +
				"events.>) select events. Personal fields stay sealed. Finds NATS as `chatbotd command` does.\n" +
				"credentials prints the flags with which the stock nats CLI connects to the embedded server as the\n" +
				"read-only audit user (read the stream, keep consumers of its own; nothing else):\n" +
				"nats $(chatbotd events credentials) sub 'events.>'",
			settings: []string{"NATS_URL", "NATS_LISTEN", "NATS_SYNC_INTERVAL", "DATA_DIR", "LOG_LEVEL", "LOG_FORMAT"},
			run:      runEvents,
		},
		{
			name: "dead-letters", usage: deadLettersUsage,
			summary: "list, inspect, retry or discard the messages consumers parked",
			detail: "A projection's event or a task's message that still failed after its retries is parked as a\n" +
				"dead letter. list shows them oldest first (--consumer, --resolved select; --json for JSON lines);\n" +
				"show prints one with its message; retry has the process running its consumer apply it again\n" +
				"(exit 0 once applied); discard gives up on it. Retries and discards are recorded in the audit\n" +
				"log with the actor system:cli. The same as the /v1/admin/dead-letters routes.",
			settings: slices.Concat(storeSettings, obsSettings),
			run:      runDeadLetters,
		},
		{
			name: "personal-data", usage: "personal-data rewrap",
			summary: "wrap every user's data key under the new personal data key (key rotation)",
			detail: "During a rotation every process runs with the new key as PERSONAL_DATA_KEY_FILE and the old one as\n" +
				"PERSONAL_DATA_PREVIOUS_KEY_FILE, so that data keys wrapped under either open. rewrap then wraps\n" +
				"under the new key each data key still wrapped under the old one, and prints how many it rewrapped;\n" +
				"once it has, PERSONAL_DATA_PREVIOUS_KEY_FILE can go. The sealed fields of the stream do not change.",
			settings: slices.Concat(storeSettings, obsSettings, []string{"PERSONAL_DATA_KEY_FILE", "PERSONAL_DATA_PREVIOUS_KEY_FILE"}),
			run:      runPersonalData,
		},
	}
}

// toolCommands help develop and identify the product.
func toolCommands() []subcommand {
	return []subcommand{
		{
			name: "dev", usage: devUsage,
			summary: "development tools: seed an empty stream with many chatbots and keys, or a mix of events",
			detail: "seed appends, for T companies, N chatbots spread over them with K API keys each (at most 10),\n" +
				"publishing asynchronously, to measure a deployment at scale. The keys derive from --seed, so\n" +
				"a load tool can call with them: never seed a production stream. It refuses a stream that\n" +
				"holds events unless --force. Run it before `chatbotd serve`, or beside it (shared NATS).\n" +
				"seed --events N appends instead N events of a realistic mix over T companies: registrations, users\n" +
				"logging in and refreshing sessions, some failed logins, chatbots with API keys, and mostly the usage\n" +
				"their calls record, to measure replays and projections. Personal fields go in clear. For millions of\n" +
				"events, run it with NATS_SYNC_INTERVAL=2m when it starts the embedded server itself.",
			settings: slices.Concat(storeSettings, obsSettings),
			run:      runDev,
		},
		{
			name: "version", usage: "version", summary: "print the version and build information",
			settings: []string{},
			run:      runVersion,
		},
	}
}
