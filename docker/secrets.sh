#!/bin/sh
# Writes every secret the compose stack reads under docker/secrets/, once:
# a file that exists and is not empty is kept, so running it again never
# replaces a key in use (rotation is a deliberate step, see
# docs/OPERATIONS.md). `dev` as the only argument writes the passwords
# alone (NATS users, Grafana): what the development stack needs.
#
#   jwt_private_key.pem        Ed25519 key signing access tokens
#   personal_data.key          32 random bytes (base64) wrapping users' data keys
#   password_pepper            secret mixed into every password hash
#   nats_*_password            the NATS users of docker/nats.conf
#   grafana_admin_password     the Grafana administrator
set -eu
dir=${SECRETS_DIR:-$(dirname "$0")/secrets}
mkdir -p "$dir"
umask 077

random() { head -c "$1" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

write() { # name, command producing the content
  f="$dir/$1"; shift
  if [ -s "$f" ]; then return 0; fi
  "$@" > "$f.tmp" && mv "$f.tmp" "$f" && echo "wrote $f"
}

jwt_key() { openssl genpkey -algorithm ed25519; }
data_key() { head -c 32 /dev/urandom | base64; }

for u in service audit audit_acme; do
  write "nats_${u}_password" random 24
done
write grafana_admin_password random 18
if [ "${1:-}" != dev ]; then
  command -v openssl >/dev/null || { echo "secrets: openssl is needed for the JWT key" >&2; exit 1; }
  write jwt_private_key.pem jwt_key
  write personal_data.key data_key
  write password_pepper random 32
fi

# chatbotd runs as uid 10001 and reads its secrets as bind-mounted files.
for f in nats_service_password jwt_private_key.pem personal_data.key password_pepper; do
  [ -f "$dir/$f" ] || continue
  chown 10001 "$dir/$f" 2>/dev/null || \
    echo "chatbotd runs as uid 10001: make $dir/$f readable to it (sudo chown 10001 ...)"
done
# Grafana runs as uid 472.
if [ -f "$dir/grafana_admin_password" ] && ! chown 472 "$dir/grafana_admin_password" 2>/dev/null; then
  echo "Grafana runs as uid 472: make $dir/grafana_admin_password readable to it (sudo chown 472 ...)"
fi
exit 0
