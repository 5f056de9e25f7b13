#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The local stack: PostgreSQL and Redis with data under a run folder, schema
# migrations, and the platform's services as background processes with pid
# files and logs. Sourced by scripts/run and scripts/test; also usable as a CLI
# by tests that restart or kill services:
#   scripts/lib/stack.sh {start|stop|kill|restart} SERVICE   (env: MAIL_RUN_DIR)
#   scripts/lib/stack.sh {start|stop|restart} redis
#   scripts/lib/stack.sh --env FILE ...      (the same for an instance of scripts/run --env)
# Every port derives from MAIL_PORT_OFFSET (0 for scripts/run, 20000 for tests).
# An instance described by an env file (scripts/run --env FILE, docs/operations.md)
# goes through stack_load_env first: STACK_BIND then names the address every
# listener binds and every local client dials (127.0.0.1 without it), and
# STACK_STANDARD_PORTS=1 puts the mail ports on 25, 587, 465, 110, 995, 143, 993.

SERVICES="admin mta mda msa pop3 imap"
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

stack_env() {  # stack_env ROOT RUN_DIR OFFSET BUILD_DIR
  ROOT=$1; RUN=$2; OFF=${3:-0}; BUILD=$4
  BIND=${STACK_BIND:-127.0.0.1}
  export MAIL_RUN_DIR=$RUN MAIL_PORT_OFFSET=$OFF MAIL_BUILD_DIR=$BUILD MAIL_ROOT=$ROOT
  P_SMTP=$((2525 + OFF)); P_SUBMIT=$((2587 + OFF)); P_SUBMITS=$((2465 + OFF))
  P_POP3=$((2110 + OFF)); P_POP3S=$((2995 + OFF)); P_IMAP=$((2143 + OFF)); P_IMAPS=$((2993 + OFF))
  if [ "${STACK_STANDARD_PORTS:-0}" = 1 ]; then
    P_SMTP=25; P_SUBMIT=587; P_SUBMITS=465; P_POP3=110; P_POP3S=995; P_IMAP=143; P_IMAPS=993
  fi
  P_ADMIN=$((7001 + OFF)); P_MTA=$((7002 + OFF)); P_MDA=$((7003 + OFF))
  H_MSA=$((9101 + OFF)); H_MDA=$((9102 + OFF)); H_MTA=$((9103 + OFF)); H_IMAP=$((9104 + OFF))
  H_POP3=$((9105 + OFF)); H_ADMIN=$((9106 + OFF))
  P_PG=$((5433 + OFF)); P_REDIS=$((6380 + OFF)); P_DNS=$((5353 + OFF))
  [ "$OFF" -eq 0 ] && { P_PG=25432; P_REDIS=26379; P_DNS=25353; }
  export P_SMTP P_SUBMIT P_SUBMITS P_POP3 P_POP3S P_IMAP P_IMAPS P_ADMIN P_MTA P_MDA \
    H_MSA H_MDA H_MTA H_IMAP H_POP3 H_ADMIN P_PG P_REDIS P_DNS
  PG_DB=mail
  export MAIL_TEST_PG="host=$BIND port=$P_PG user=postgres dbname=$PG_DB"
  export MAIL_TEST_REDIS="$BIND:$P_REDIS"
  export MAILCTL_SERVER="$BIND:$P_ADMIN" MAILCTL_QUEUE_SERVER="$BIND:$P_MTA"
  SECRETS=$RUN/secrets
  export MAILCTL_TOKEN_FILE=$SECRETS/admin.token
}

# The settings an instance's env file may give (scripts/run --env FILE;
# docs/operations.md "Several instances on one machine").
STACK_ENV_KEYS="STACK_RUN_DIR STACK_BIND STACK_STANDARD_PORTS STACK_PORT_OFFSET STACK_HOSTNAME
  STACK_DOMAIN STACK_USER STACK_PASSWORD STACK_DNS STACK_QUEUE_RETRY_MIN STACK_QUEUE_RETRY_MAX
  STACK_QUEUE_MAX_AGE STACK_QUEUE_LEASE STACK_QUEUE_RECONCILE STACK_AUTH_CACHE_TTL STACK_LOG_LEVEL
  STACK_THROTTLE_PAIR STACK_THROTTLE_ADDRESS STACK_CLIENT_LIMIT_EXCEPTIONS STACK_RELAY_NETWORKS
  STACK_RELAYHOST STACK_RELAYHOST_TLS STACK_RELAYHOST_USER STACK_RELAYHOST_PASSWORD STACK_OUTBOUND_PORT
  STACK_OUTBOUND_TLS STACK_OUTBOUND_TIMEOUT"

# stack_load_env FILE: reads KEY=VALUE lines (# comments and blank lines
# skipped; a value bare, or in single or double quotes taken literally: no
# escapes, no expansion), checks every key and value, and exports them. The
# file describes the whole instance: STACK_ variables of the caller's
# environment are dropped first. Diagnostics name the file and line; returns 1
# on the first error. Trusts: nothing in the file; never prints the password.
stack_load_env() {
  local file=$1 line key value n=0 seen=" " v
  if [ ! -f "$file" ] || [ ! -r "$file" ]; then echo "$file: not a readable file" >&2; return 1; fi
  for v in $(compgen -v STACK_ || true); do
    case $v in STACK_ENV_KEYS) ;; *) unset "$v" ;; esac
  done
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%$'\r'}
    line=${line#"${line%%[![:space:]]*}"}
    case $line in '' | '#'*) continue ;; esac
    if ! [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
      echo "$file:$n: not KEY=VALUE (no spaces around =): $line" >&2; return 1
    fi
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    case " $(echo $STACK_ENV_KEYS) " in
      *" $key "*) ;;
      *) echo "$file:$n: unknown key $key; known keys: $(echo $STACK_ENV_KEYS)" >&2; return 1 ;;
    esac
    case $seen in *" $key "*) echo "$file:$n: $key is given twice" >&2; return 1 ;; esac
    seen="$seen$key "
    if [[ $value =~ ^\'([^\']*)\'[[:space:]]*(#.*)?$ ]]; then
      value=${BASH_REMATCH[1]}
    elif [[ $value =~ ^\"([^\"\$\`\\]*)\"[[:space:]]*(#.*)?$ ]]; then
      value=${BASH_REMATCH[1]}
    elif [[ $value =~ ^[\'\"] ]]; then
      echo "$file:$n: $key: a quoted value must end with its quote (only a # comment may follow);" \
        "double quotes may not hold \$, \` or \\ (nothing is expanded: use single quotes)" >&2
      return 1
    else
      [[ $value =~ ^(.*[^[:space:]])?[[:space:]]+#.*$ ]] && value=${BASH_REMATCH[1]}
      value=${value%"${value##*[![:space:]]}"}
      if [[ $value =~ [[:space:]\'\"\`\$\\] ]]; then
        echo "$file:$n: $key: a value with spaces, quotes, \$, \` or \\ must be in single quotes" >&2; return 1
      fi
    fi
    export "$key=$value"
  done <"$file"
  stack_check_env "$file"
}

# Checks the values stack_load_env exported (they end up in YAML and command
# lines) and completes them: STACK_RUN_DIR relative to the env file's folder,
# STACK_USER as a whole address.
stack_check_env() {
  local file=$1 bad="" d
  local name_re='^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$'
  local ip_re='^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$'
  local dur_re='^[0-9]+(ms|s|m|h)?$'
  fail() { bad="$bad"$'\n'"  $1"; }  # collects every complaint, reported together
  if [ -z "${STACK_RUN_DIR:-}" ]; then fail "STACK_RUN_DIR is required (the instance's data, logs and pids)"
  else
    case $STACK_RUN_DIR in /*) ;; *) STACK_RUN_DIR=$(cd "$(dirname "$file")" && pwd)/$STACK_RUN_DIR ;; esac
    export STACK_RUN_DIR=${STACK_RUN_DIR%/}
    [[ $STACK_RUN_DIR =~ [[:space:]\"\\\'] ]] && fail "STACK_RUN_DIR=$STACK_RUN_DIR: a path without spaces, quotes or \\"
  fi
  [ -z "${STACK_BIND:-}" ] || [[ $STACK_BIND =~ $ip_re ]] || fail "STACK_BIND=$STACK_BIND: not an IPv4 address"
  [ -z "${STACK_STANDARD_PORTS:-}" ] || [[ $STACK_STANDARD_PORTS =~ ^[01]$ ]] ||
    fail "STACK_STANDARD_PORTS=$STACK_STANDARD_PORTS: 1 or 0"
  [ -z "${STACK_PORT_OFFSET:-}" ] || { [[ $STACK_PORT_OFFSET =~ ^[0-9]{1,5}$ ]] && [ "$STACK_PORT_OFFSET" -le 50000 ]; } ||
    fail "STACK_PORT_OFFSET=$STACK_PORT_OFFSET: a number from 0 to 50000"
  for v in STACK_HOSTNAME STACK_DOMAIN; do
    d=${!v:-}
    [ -z "$d" ] || { [[ $d =~ $name_re ]] && [ ${#d} -le 253 ]; } || fail "$v=$d: not a host name"
  done
  if [ -n "${STACK_USER:-}" ]; then
    if [[ $STACK_USER =~ ^([A-Za-z0-9._+-]+)(@(.+))?$ ]]; then
      d=${BASH_REMATCH[3]}
      if [ -z "$d" ]; then
        [ -n "${STACK_DOMAIN:-}" ] && export STACK_USER=$STACK_USER@$STACK_DOMAIN ||
          fail "STACK_USER=$STACK_USER: without @domain it needs STACK_DOMAIN"
      elif [ -z "${STACK_DOMAIN:-}" ]; then
        export STACK_DOMAIN=$d
        [[ $d =~ $name_re ]] || fail "STACK_USER=$STACK_USER: not a mail address"
      elif [ "${d,,}" != "${STACK_DOMAIN,,}" ]; then
        fail "STACK_USER=$STACK_USER: not in STACK_DOMAIN=$STACK_DOMAIN"
      fi
    else
      fail "STACK_USER=$STACK_USER: not a local part or mail address"
    fi
    [ -n "${STACK_PASSWORD:-}" ] || fail "STACK_USER needs STACK_PASSWORD"
  elif [ -n "${STACK_PASSWORD:-}" ]; then
    fail "STACK_PASSWORD needs STACK_USER"
  fi
  if [ -n "${STACK_DNS:-}" ]; then
    if [[ $STACK_DNS =~ ^(.+):([0-9]{1,5})$ ]] && [ "${BASH_REMATCH[2]}" -ge 1 ] && [ "${BASH_REMATCH[2]}" -le 65535 ] &&
      { [[ ${BASH_REMATCH[1]} =~ $ip_re ]] || [[ ${BASH_REMATCH[1]} =~ ^\[[0-9A-Fa-f:.]+\]$ ]]; }; then :
    else fail "STACK_DNS=$STACK_DNS: not address:port (127.0.0.1:53, [::1]:53)"; fi
  fi
  for v in STACK_QUEUE_RETRY_MIN STACK_QUEUE_RETRY_MAX STACK_QUEUE_LEASE STACK_QUEUE_RECONCILE STACK_AUTH_CACHE_TTL; do
    [ -z "${!v:-}" ] || [[ ${!v} =~ $dur_re ]] || fail "$v=${!v}: not a duration (250ms, 30s, 5m, 1h)"
  done
  # The mta counts queue.max_age in whole seconds, at least one.
  if [ -n "${STACK_QUEUE_MAX_AGE:-}" ]; then
    [[ $STACK_QUEUE_MAX_AGE =~ ^([0-9]+)(s|m|h)$ ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] ||
      fail "STACK_QUEUE_MAX_AGE=$STACK_QUEUE_MAX_AGE: a duration of at least 1s (30s, 10m, 120h)"
  fi
  [ -z "${STACK_LOG_LEVEL:-}" ] || [[ $STACK_LOG_LEVEL =~ ^(debug|info|warn|warning|error)$ ]] ||
    fail "STACK_LOG_LEVEL=$STACK_LOG_LEVEL: debug, info, warn or error"
  for v in STACK_THROTTLE_PAIR STACK_THROTTLE_ADDRESS; do
    [ -z "${!v:-}" ] || [[ ${!v} =~ ^[0-9]{1,9}$ ]] || fail "$v=${!v}: not a number"
  done
  for v in STACK_CLIENT_LIMIT_EXCEPTIONS STACK_RELAY_NETWORKS; do
    [ -z "${!v:-}" ] || [[ ${!v} =~ ^[0-9A-Fa-f.:/,\ ]+$ ]] || fail "$v=${!v}: CIDRs separated by commas"
  done
  # A smarthost: host, host:port, [host] or [host]:port (outbound_config.h).
  [ -z "${STACK_RELAYHOST:-}" ] || [[ $STACK_RELAYHOST =~ ^(\[[A-Za-z0-9.:-]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$ ]] ||
    fail "STACK_RELAYHOST=$STACK_RELAYHOST: host, host:port, [host] or [host]:port"
  for v in STACK_RELAYHOST_TLS STACK_OUTBOUND_TLS; do
    [ -z "${!v:-}" ] || [[ ${!v} =~ ^(none|may|encrypt|verify)$ ]] || fail "$v=${!v}: none, may, encrypt or verify"
  done
  [ -z "${STACK_RELAYHOST_USER:-}" ] || [[ $STACK_RELAYHOST_USER =~ ^[A-Za-z0-9._+@-]+$ ]] ||
    fail "STACK_RELAYHOST_USER: letters, digits and ._+@- only"
  [ -z "${STACK_RELAYHOST_PASSWORD:-}" ] || [ -n "${STACK_RELAYHOST_USER:-}" ] || fail "STACK_RELAYHOST_PASSWORD needs STACK_RELAYHOST_USER"
  [ -z "${STACK_OUTBOUND_PORT:-}" ] || { [[ $STACK_OUTBOUND_PORT =~ ^[0-9]{1,5}$ ]] && [ "$STACK_OUTBOUND_PORT" -ge 1 ] && [ "$STACK_OUTBOUND_PORT" -le 65535 ]; } ||
    fail "STACK_OUTBOUND_PORT=$STACK_OUTBOUND_PORT: not a port"
  [ -z "${STACK_OUTBOUND_TIMEOUT:-}" ] || [[ $STACK_OUTBOUND_TIMEOUT =~ $dur_re ]] ||
    fail "STACK_OUTBOUND_TIMEOUT=$STACK_OUTBOUND_TIMEOUT: not a duration (250ms, 30s, 5m, 1h)"
  unset -f fail
  [ -z "$bad" ] && return 0
  echo "$file:$bad" >&2
  return 1
}

# Service tokens (DESIGN: trust between services), made once per run folder,
# mode 0600: admin.token is the administrators' (mailctl), the others each
# service's own. Every service is told which callers' token files it accepts.
TOKENS="admin msa pop3 imap mta mda"
ensure_secrets() {
  local name
  (umask 077; mkdir -p "$SECRETS")
  chmod 700 "$SECRETS"
  for name in $TOKENS; do
    [ -s "$SECRETS/$name.token" ] && continue
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRETS/$name.token")
  done
  chmod 600 "$SECRETS"/*.token
}

# "auth:" YAML for a service: its own token (unless "-") and the callers it accepts.
auth_yaml() {  # auth_yaml SELF CALLER...
  local self=$1 c list="" files=""; shift
  for c in "$@"; do
    list="$list${list:+, }$c"
    files="$files${files:+, }$c: {token_file: \"$SECRETS/$c.token\"}"
  done
  printf 'auth: {'
  [ "$self" != - ] && printf 'token_file: "%s", ' "$SECRETS/$self.token"
  printf 'callers: [%s], caller: {%s}}\n' "$list" "$files"
}

# A folder the postgres user can enter: the run folder when it can, else one under /var/tmp.
pg_dir() {
  local want=$RUN/pg
  mkdir -p "$want"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$want" 2>/dev/null; then
    want=/var/tmp/mailplatform-$(echo "$RUN" | md5sum | cut -c1-10)/pg
    mkdir -p "$want"
  fi
  echo "$want"
}

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local dir; dir=$(pg_dir)
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir" "$(dirname "$dir")" 2>/dev/null
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log"; return 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '$BIND'
port = $P_PG
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
wal_compression = on
max_wal_size = 2GB
checkpoint_timeout = 15min
log_min_messages = warning
CONF
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null ||
      { tail -20 "$dir/postgres.log"; return 1; }
  fi
  psql -h "$BIND" -p "$P_PG" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1 ||
    psql -h "$BIND" -p "$P_PG" -U postgres -d postgres -qc "CREATE DATABASE $PG_DB" >/dev/null
}

stop_postgres() {
  local dir; dir=$(pg_dir)
  if [ -f "$dir/data/PG_VERSION" ]; then as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
}

redis_cli() { redis-cli -h "$BIND" -p "$P_REDIS" "$@"; }

start_redis() {
  mkdir -p "$RUN/redis"
  redis_cli ping >/dev/null 2>&1 && return 0
  redis-server --port "$P_REDIS" --bind "$BIND" --daemonize yes --dir "$RUN/redis" \
    --pidfile "$RUN/redis/redis.pid" --logfile "$RUN/redis/redis.log" \
    --maxmemory-policy noeviction --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do
    redis_cli ping >/dev/null 2>&1 && { chmod 640 "$RUN/redis/redis.log" 2>/dev/null; return 0; }
    sleep 0.1
  done
  echo "redis did not start"; tail -5 "$RUN/redis/redis.log"; return 1
}

# The stop functions succeed when there is nothing to stop, also under set -e
# (scripts/run --stop must reach PostgreSQL when Redis is already down).
stop_redis() { redis_cli shutdown nosave >/dev/null 2>&1 || true; }

# A DNS server of the stack's own on $BIND:$P_DNS (dnsmasq), for tests: it
# knows only the records in $RUN/dns/records.conf (dnsmasq syntax: mx-host=,
# host-record=), answers NXDOMAIN for the rest of .test and .invalid, and
# asks no one else, so the mta's lookups never leave the machine. Started
# by scripts/test, which points the mta at it (STACK_DNS).
start_dns() {
  mkdir -p "$RUN/dns"
  touch "$RUN/dns/records.conf"
  stop_dns
  dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces --user=root \
    --listen-address="$BIND" --port="$P_DNS" --local=/test/ --local=/invalid/ \
    --conf-file="$RUN/dns/records.conf" --pid-file="$RUN/dns/dnsmasq.pid" --log-facility="$RUN/dns/dnsmasq.log" \
    >/dev/null 2>&1 &
  echo $! >"$RUN/dns/dnsmasq.bg"
  for _ in $(seq 50); do
    [ -s "$RUN/dns/dnsmasq.pid" ] && return 0
    sleep 0.1
  done
  echo "dnsmasq did not start"; tail -5 "$RUN/dns/dnsmasq.log" 2>/dev/null; return 1
}

stop_dns() {
  local f
  for f in "$RUN/dns/dnsmasq.pid" "$RUN/dns/dnsmasq.bg"; do
    if [ -s "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
    rm -f "$f"
  done
  return 0
}

migrate() {
  "$BUILD/services/migrate/mail-migrate" --db "host=$BIND port=$P_PG user=postgres dbname=$PG_DB" --dir "$ROOT/migrations"
}

# Writes one YAML config per service into $RUN/etc (the same keys compose and Helm use).
write_configs() {
  ensure_secrets
  local etc=$RUN/etc db="host=$BIND port=$P_PG dbname=$PG_DB"
  local level=${STACK_LOG_LEVEL:-info}
  (umask 027; mkdir -p "$etc" "$RUN/tls")
  local redis="redis: {host: $BIND, port: $P_REDIS}" old_umask; old_umask=$(umask)
  # The failed-login throttle the edges share through Redis (the admin reads
  # it to show and lift blocks). Every client of these stacks is 127.0.0.x:
  # the whole test suite sits behind one address, as behind a NAT, so the
  # address's limit is high; the pair's limit and the delays are short, so
  # that test_login_throttle reaches its refusal within seconds and the
  # suite's deliberate failures cost little time. Production keeps the
  # defaults (login_throttle.h, docs/operations.md).
  local throttle="auth_throttle: {delay_start: 50ms, delay_max: 100ms, max_failures_per_pair: ${STACK_THROTTLE_PAIR:-5}, max_failures_per_address: ${STACK_THROTTLE_ADDRESS:-100}, block_time: 10m}"
  # postmaster@ and abuse@ of a domain without such an alias go to the
  # first account (the demo one, or STACK_USER); none without one.
  local pm=demo@example.test
  [ -n "${STACK_DOMAIN:-}" ] && pm=${STACK_USER:-}
  local postmaster="directory: {postmaster: \"$pm\"}"
  umask 027
  cat >"$etc/admin.yaml" <<Y
log: {level: $level}
admin: {listen: "$BIND:$P_ADMIN"}
http: {listen: "$BIND:$H_ADMIN"}
db: {url: "$db user=mail_admin", pool_size: 4}
$postmaster
$redis
$throttle
$(auth_yaml - admin msa pop3 imap)
Y
  cat >"$etc/mta.yaml" <<Y
log: {level: $level}
transfer: {listen: "$BIND:$P_MTA"}
http: {listen: "$BIND:$H_MTA"}
db: {url: "$db user=mail_mta", pool_size: 16}
redis: {host: $BIND, port: $P_REDIS}
mda: {address: "$BIND:$P_MDA"}
queue: {workers: 16, lease: ${STACK_QUEUE_LEASE:-60s}, reconcile_interval: ${STACK_QUEUE_RECONCILE:-30s}, retry_min: ${STACK_QUEUE_RETRY_MIN:-60s}, retry_max: ${STACK_QUEUE_RETRY_MAX:-1h}, max_age: ${STACK_QUEUE_MAX_AGE:-120h}}
# Transfer takes the msa and the mda; the Queue API (mailctl queue) the administrators.
$(auth_yaml mta msa mda admin)
Y
  # The host name the msa greets with also names us in bounces
  # (Reporting-MTA, MAILER-DAEMON@; the mta would otherwise take the
  # machine's short name) and in EHLO to other servers. The outbound keys
  # are each written only when its STACK_ setting is given, so that without
  # one the OS picks the source address and the system's resolver is asked.
  echo "mta: {hostname: \"${STACK_HOSTNAME:-mail.example.test}\"}" >>"$etc/mta.yaml"
  {
    echo "outbound:"
    echo "  hostname: \"${STACK_HOSTNAME:-mail.example.test}\""
    [ -n "${STACK_BIND:-}" ] && echo "  source_address: \"$STACK_BIND\""
    [ -n "${STACK_DNS:-}" ] && echo "  resolver: \"$STACK_DNS\""
    [ -n "${STACK_OUTBOUND_PORT:-}" ] && echo "  port: $STACK_OUTBOUND_PORT"
    [ -n "${STACK_OUTBOUND_TLS:-}" ] && echo "  tls: \"$STACK_OUTBOUND_TLS\""
    if [ -n "${STACK_OUTBOUND_TIMEOUT:-}" ]; then
      echo "  connect_timeout: $STACK_OUTBOUND_TIMEOUT"
      echo "  timeout: {greeting: $STACK_OUTBOUND_TIMEOUT, ehlo: $STACK_OUTBOUND_TIMEOUT, mail: $STACK_OUTBOUND_TIMEOUT, rcpt: $STACK_OUTBOUND_TIMEOUT, data_init: $STACK_OUTBOUND_TIMEOUT, data_block: $STACK_OUTBOUND_TIMEOUT, data_end: $STACK_OUTBOUND_TIMEOUT}"
    fi
    if [ -n "${STACK_RELAYHOST:-}" ]; then
      echo "  relayhost: \"$STACK_RELAYHOST\""
      [ -n "${STACK_RELAYHOST_TLS:-}" ] && echo "  relayhost_tls: \"$STACK_RELAYHOST_TLS\""
      if [ -n "${STACK_RELAYHOST_USER:-}" ]; then
        echo "  relayhost_user: \"$STACK_RELAYHOST_USER\""
        (umask 077; printf '%s' "${STACK_RELAYHOST_PASSWORD:-}" >"$SECRETS/relayhost.password")
        echo "  relayhost_password_file: \"$SECRETS/relayhost.password\""
      fi
    fi
  } >>"$etc/mta.yaml"
  cat >"$etc/mda.yaml" <<Y
log: {level: $level}
delivery: {listen: "$BIND:$P_MDA"}
mta: {address: "$BIND:$P_MTA"}
http: {listen: "$BIND:$H_MDA"}
db: {url: "$db user=mail_mda", pool_size: 16}
$postmaster
$redis
$(auth_yaml mda mta)
Y
  cat >"$etc/msa.yaml" <<Y
log: {level: $level}
# Every client of these stacks is on loopback (tests, benchmarks): exempt
# from the per-client connection cap, as Postfix's mynetworks are.
net: {client_limit_exceptions: "${STACK_CLIENT_LIMIT_EXCEPTIONS-127.0.0.0/8}"}
smtp: {hostname: "${STACK_HOSTNAME:-mail.example.test}", mx_listen: "$BIND:$P_SMTP", submission_listen: "$BIND:$P_SUBMIT", submissions_listen: "$BIND:$P_SUBMITS", reverse_lookup: false, relay_networks: "${STACK_RELAY_NETWORKS:-}"}
tls: {cert: "$RUN/tls/cert.pem", key: "$RUN/tls/key.pem"}
http: {listen: "$BIND:$H_MSA"}
mta: {address: "$BIND:$P_MTA"}
directory: {address: "$BIND:$P_ADMIN", cache_ttl: ${STACK_AUTH_CACHE_TTL:-30s}}
$redis
$throttle
auth: {token_file: "$SECRETS/msa.token"}
Y
  cat >"$etc/pop3.yaml" <<Y
log: {level: $level}
net: {client_limit_exceptions: "${STACK_CLIENT_LIMIT_EXCEPTIONS-127.0.0.0/8}"}
pop3: {hostname: "${STACK_HOSTNAME:-mail.example.test}", listen: "$BIND:$P_POP3", pop3s_listen: "$BIND:$P_POP3S"}
tls: {cert: "$RUN/tls/cert.pem", key: "$RUN/tls/key.pem"}
http: {listen: "$BIND:$H_POP3"}
db: {url: "$db user=mail_pop3", pool_size: 8}
directory: {address: "$BIND:$P_ADMIN", cache_ttl: ${STACK_AUTH_CACHE_TTL:-30s}}
$redis
$throttle
auth: {token_file: "$SECRETS/pop3.token"}
Y
  cat >"$etc/imap.yaml" <<Y
log: {level: $level}
net: {client_limit_exceptions: "${STACK_CLIENT_LIMIT_EXCEPTIONS-127.0.0.0/8}"}
imap: {hostname: "${STACK_HOSTNAME:-mail.example.test}", listen: "$BIND:$P_IMAP", imaps_listen: "$BIND:$P_IMAPS"}
tls: {cert: "$RUN/tls/cert.pem", key: "$RUN/tls/key.pem"}
http: {listen: "$BIND:$H_IMAP"}
db: {url: "$db user=mail_imap", pool_size: 8}
directory: {address: "$BIND:$P_ADMIN", cache_ttl: ${STACK_AUTH_CACHE_TTL:-30s}}
$redis
$throttle
auth: {token_file: "$SECRETS/imap.token"}
Y
  umask "$old_umask"
  chmod 640 "$etc"/*.yaml
}

ensure_cert() {
  [ -f "$RUN/tls/cert.pem" ] && [ -f "$RUN/tls/key.pem" ] && return 0
  mkdir -p "$RUN/tls"
  local host=${STACK_HOSTNAME:-mail.example.test}
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1${STACK_BIND:+,IP:$STACK_BIND}" \
    -keyout "$RUN/tls/key.pem" -out "$RUN/tls/cert.pem" >/dev/null 2>&1
  chmod 600 "$RUN/tls/key.pem"
}

svc_bin() { echo "$BUILD/services/$1/mail-$1"; }
svc_health() {
  case $1 in msa) echo "$H_MSA" ;; mda) echo "$H_MDA" ;; mta) echo "$H_MTA" ;; pop3) echo "$H_POP3" ;; admin) echo "$H_ADMIN" ;; imap) echo "$H_IMAP" ;; esac
}
svc_pid() { cat "$RUN/pid/$1.pid" 2>/dev/null || true; }
# Running: alive and not a zombie (with no init to reap them, a service that
# exited by itself can linger as one).
pid_alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
svc_running() { local p; p=$(svc_pid "$1"); [ -n "$p" ] && pid_alive "$p"; }

start_service() {
  local svc=$1 bin; bin=$(svc_bin "$svc")
  [ -x "$bin" ] || { echo "missing binary $bin"; return 1; }
  mkdir -p "$RUN/pid" "$RUN/log"
  svc_running "$svc" && return 0
  (umask 027; touch "$RUN/log/$svc.log"); chmod 640 "$RUN/log/$svc.log"
  # Started from a subshell so the service is not a job of this shell (a test
  # that kills it with -9 then leaves no "Killed" notice behind).
  (nohup "$bin" --config "$RUN/etc/$svc.yaml" >>"$RUN/log/$svc.log" 2>&1 </dev/null &
   echo $! >"$RUN/pid/$svc.pid")
  sha1sum "$bin" | cut -c1-40 >"$RUN/pid/$svc.bin"
}

stop_service() {  # stop_service NAME [SIGNAL]
  local svc=$1 sig=${2:-TERM} p; p=$(svc_pid "$svc")
  [ -n "$p" ] || return 0
  kill "-$sig" "$p" 2>/dev/null || true  # it may have gone already (Ctrl-C reaches the whole group)
  for _ in $(seq 100); do pid_alive "$p" || break; sleep 0.1; done
  if pid_alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
  rm -f "$RUN/pid/$svc.pid"
}

wait_ready() {  # wait_ready NAME [SECONDS]
  local svc=$1 t=${2:-60} port; port=$(svc_health "$svc")
  for _ in $(seq $((t * 10))); do
    curl -sf -m 1 "http://$BIND:$port/readyz" >/dev/null 2>&1 && return 0
    svc_running "$svc" || { echo "$svc exited; last log lines:"; tail -15 "$RUN/log/$svc.log"; return 1; }
    sleep 0.1
  done
  echo "$svc not ready after ${t}s; last log lines:"; tail -15 "$RUN/log/$svc.log"; return 1
}

# Starts (or, when the binary changed since it started, restarts) every service.
start_services() {
  local svc
  for svc in $SERVICES; do
    if svc_running "$svc" && [ "$(sha1sum "$(svc_bin "$svc")" | cut -c1-40)" != "$(cat "$RUN/pid/$svc.bin" 2>/dev/null)" ]; then
      stop_service "$svc"
    fi
    start_service "$svc" || return 1
    wait_ready "$svc" 60 || return 1
  done
}

stop_services() {
  local svc
  for svc in $(echo "$SERVICES" | tr ' ' '\n' | tac); do stop_service "$svc"; done
}

# The demo domain and account (idempotent); for an instance with STACK_DOMAIN
# (and STACK_USER, STACK_PASSWORD), that domain and account instead.
seed_demo() {
  local ctl=$BUILD/services/mailctl/mailctl pw=$RUN/demo-password
  if [ -n "${STACK_DOMAIN:-}" ]; then
    "$ctl" domain list 2>/dev/null | awk -v d="${STACK_DOMAIN,,}" 'tolower($1) == d { f = 1 } END { exit !f }' ||
      "$ctl" domain add "$STACK_DOMAIN" >/dev/null || return 1
    [ -n "${STACK_USER:-}" ] || return 0
    "$ctl" account show "$STACK_USER" >/dev/null 2>&1 && return 0
    pw=$SECRETS/first-account.password
    (umask 077; printf '%s' "$STACK_PASSWORD" >"$pw")
    "$ctl" account add "$STACK_USER" --password-file "$pw" --quota 1G >/dev/null; local rc=$?
    rm -f "$pw"
    return $rc
  fi
  (umask 077; printf 'demo-password' >"$pw"); chmod 600 "$pw"
  "$ctl" domain list 2>/dev/null | grep -qw example.test || "$ctl" domain add example.test >/dev/null
  "$ctl" account show demo@example.test >/dev/null 2>&1 ||
    "$ctl" account add demo@example.test --password-file "$pw" --quota 1G >/dev/null
}

# CLI entry for tests: stack.sh {start|stop|kill|restart} SERVICE, and
# stack.sh configure (writes the services' configs again from the settings,
# e.g. after an env file changed; restart a service to apply them).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  here=$(cd "$(dirname "$0")/../.." && pwd)
  if [ "${1:-}" = --env ]; then  # stack.sh --env FILE ...: a service of that instance
    stack_load_env "${2:?usage: stack.sh --env FILE COMMAND SERVICE}" || exit 2
    shift 2
    stack_env "$here" "$STACK_RUN_DIR" "${STACK_PORT_OFFSET:-0}" "${MAIL_BUILD_DIR:-$here/build}"
  else
    stack_env "$here" "${MAIL_RUN_DIR:?set MAIL_RUN_DIR}" "${MAIL_PORT_OFFSET:-0}" "${MAIL_BUILD_DIR:-$here/build}"
  fi
  if [ "${2:-}" = redis ]; then  # Redis holds only hints: a restart loses them, as FLUSHALL does
    case "$1" in
      start) start_redis ;; stop|kill) stop_redis ;; restart) stop_redis; start_redis ;;
      *) echo "usage: stack.sh {start|stop|restart} redis"; exit 2 ;;
    esac
    exit $?
  fi
  case "$1" in
    configure) write_configs ;;
    start) start_service "$2" && wait_ready "$2" 60 ;;
    stop) stop_service "$2" ;;
    kill) stop_service "$2" KILL ;;
    restart) stop_service "$2"; start_service "$2" && wait_ready "$2" 60 ;;
    *) echo "usage: stack.sh {start|stop|kill|restart} SERVICE"; exit 2 ;;
  esac
fi
