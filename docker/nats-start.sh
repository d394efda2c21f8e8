#!/bin/sh
# Starts nats-server with its users' passwords read from the compose
# secrets (docker/nats.conf takes them from the environment), so that no
# password is written in a compose file or a config file.
set -eu
secret() {
  v=$(cat "/run/secrets/$1") || exit 1
  [ -n "$v" ] || { echo "nats: the secret $1 is empty" >&2; exit 1; }
  printf '%s' "$v"
}
NATS_SERVICE_PASSWORD=$(secret nats_service_password)
NATS_AUDIT_PASSWORD=$(secret nats_audit_password)
NATS_AUDIT_ACME_PASSWORD=$(secret nats_audit_acme_password)
export NATS_SERVICE_PASSWORD NATS_AUDIT_PASSWORD NATS_AUDIT_ACME_PASSWORD
# NATS_CONFIG picks another file, such as a cluster node's (docker/nats-cluster.conf).
exec nats-server -c "${NATS_CONFIG:-/etc/nats/nats.conf}"
