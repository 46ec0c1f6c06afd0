#!/usr/bin/env bash
# The concurrency specs through PgBouncer in transaction mode with a pool of 2 server connections: a
# PgBouncer of our own (config in a temp dir, strict about startup parameters: nothing ignored) in front of
# a database of our own on this machine's PostgreSQL. Installs the Debian package when missing. Stops
# PgBouncer and drops the database on any exit. Debian's own pgbouncer service is neither used nor touched.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
DATABASE=${PGBOUNCER_CI_DATABASE:-chat_history_pgbouncer_ci}
PORTS=${PGBOUNCER_CI_PORTS:-6440-6449}
# The spec of the pooler's own claims, then every spec of concurrent requests on one database.
read -r -a SPECS <<<"${PGBOUNCER_CI_SPECS:-test/transaction-pooling.e2e-spec.ts test/load-shedding.e2e-spec.ts \
  test/sessions-concurrency.e2e-spec.ts test/messages-concurrency.e2e-spec.ts test/chat-cost-control.e2e-spec.ts \
  test/retention.e2e-spec.ts test/delete-all-concurrency.e2e-spec.ts}"

pgbouncer_bin() { command -v pgbouncer || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; }; }
if ! pgbouncer_bin >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq pgbouncer >/dev/null || { apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null; }
fi
PGBOUNCER=$(pgbouncer_bin)

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=
for candidate in $(seq "${PORTS%-*}" "${PORTS#*-}"); do port_in_use "$candidate" || { port=$candidate; break; }; done
[ -n "$port" ] || { echo "no free port in $PORTS for PgBouncer" >&2; exit 1; }

dir=$(mktemp -d)
pid=
cleanup() {
  status=$?
  [ "$status" = 0 ] || tail -n 30 "$dir/pgbouncer.log" >&2 2>/dev/null || true
  if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  dropdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" --if-exists --force "$DATABASE" || true
  rm -rf "$dir"
}
trap cleanup EXIT

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$@"; }
dropdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" --if-exists --force "$DATABASE"
createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DATABASE"
# What the README asks operators to do: bound statements outside a transaction on the role (here only in this database).
psql_admin -d "$DATABASE" -c "ALTER ROLE \"$PG_USER\" IN DATABASE \"$DATABASE\" SET statement_timeout = '30s'"

cat >"$dir/pgbouncer.ini" <<EOF
[databases]
$DATABASE = host=$PG_HOST port=$PG_PORT dbname=$DATABASE
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = $PG_USER
pool_mode = transaction
default_pool_size = 2
max_client_conn = 1000
logfile = $dir/pgbouncer.log
log_connections = 0
log_disconnections = 0
stats_period = 1
log_stats = 0
EOF
printf '"%s" ""\n' "$PG_USER" >"$dir/userlist.txt"
run_as=()
if [ "$(id -u)" = 0 ]; then # PgBouncer refuses to run as root
  user=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
  chown -R "$user" "$dir"
  run_as=(-u "$user")
fi
"$PGBOUNCER" -q "${run_as[@]}" "$dir/pgbouncer.ini" &
pid=$!

admin() { psql -X -At -h 127.0.0.1 -p "$port" -U "$PG_USER" -d pgbouncer -c "$1"; }
for _ in $(seq 50); do admin 'SHOW VERSION' >/dev/null 2>&1 && break; sleep 0.1; done
echo "$(admin 'SHOW VERSION') on 127.0.0.1:$port, pool_mode=transaction, default_pool_size=2, database $DATABASE"
url="postgres://$PG_USER@127.0.0.1:$port/$DATABASE"

# The pooler must refuse what the app used to send at connect, or this job would prove nothing.
node_modules/.bin/node --input-type=module -e "
  import pg from 'pg';
  const client = new pg.Client({ connectionString: '$url', statement_timeout: 1000 });
  try { await client.connect(); console.error('PgBouncer accepted a statement_timeout startup parameter'); process.exit(1); }
  catch (error) { if (!/unsupported startup parameter/.test(error.message)) throw error; }"

TEST_DATABASE_URL=$url TEST_DATABASE_TRANSACTION_POOLING=true npm test -- "${SPECS[@]}"

# And the specs really went through it: transactions counted by PgBouncer, never more than 2 server connections.
sleep 1.5 # SHOW STATS totals are updated every stats_period
xacts=$(admin 'SHOW STATS' | awk -F'|' -v db="$DATABASE" '$1 == db { print $2 }')
servers=$(psql_admin -At -d "$DATABASE" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
echo "PgBouncer counted ${xacts:-0} transactions; $servers server connections open"
[ "${xacts:-0}" -ge 10 ] || { echo 'the specs did not go through PgBouncer' >&2; exit 1; }
[ "$servers" -le 2 ] || { echo "more than 2 server connections: $servers" >&2; exit 1; }
