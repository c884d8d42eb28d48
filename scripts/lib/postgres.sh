# Throw-away PostgreSQL cluster for the tests. Needs lib/common.sh.
# start_test_postgres sets PG_URL (an Npgsql connection string); stop_test_postgres stops it.

# Below Linux's ephemeral range (32768-60999): a fixed port inside it can be held, briefly, by
# any outgoing connection's local end, and then the cluster cannot bind it.
PG_PORT="${POLYDEV_TEST_PG_PORT:-31432}"

pg_bindir() {
  local initdb
  initdb="$( (ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null || true) | sort -V | tail -n 1)"
  [[ -n $initdb ]] && dirname "$initdb"
}

ensure_postgres() {
  if [[ -z $(pg_bindir) ]]; then
    log "PostgreSQL server missing: apt-get install postgresql"
    apt_install postgresql || die "could not install PostgreSQL (see .polydev/logs/apt.log)"
  fi
  PG_BIN="$(pg_bindir)" || die "PostgreSQL installed but no /usr/lib/postgresql/*/bin/initdb"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'): ok"
}

# Run a PostgreSQL binary as the cluster owner: 'postgres' when we are root, else ourselves.
pg_run() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# The data dir lives in .polydev/test-postgres, unless the 'postgres' user cannot reach
# the repo (e.g. a clone under /root) or the socket path would be too long for a unix
# socket (107 bytes): then it goes to a fixed per-repo dir under /tmp.
pg_datadir() {
  # One cluster per port, so scripts/test and scripts/bench can run side by side.
  local dir="$ROOT/.polydev/test-postgres-$PG_PORT"
  if (( ${#dir} > 80 )) || { [[ $EUID -eq 0 ]] && ! pg_run test -x "$ROOT/.polydev"; }; then
    dir="${TMPDIR:-/tmp}/polydev-test-postgres-$PG_PORT-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)"
  fi
  printf %s "$dir"
}

pg_running() { pg_run "$PG_BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }

stop_test_postgres() {
  if [[ -n ${PGDATA:-} && -n ${PG_BIN:-} ]] && pg_running; then
    log "stopping PostgreSQL test cluster"
    pg_run "$PG_BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -s >/dev/null || true
  fi
}

start_test_postgres() {
  mkdir -p "$ROOT/.polydev/logs"
  PGDATA="$(pg_datadir)"
  stop_test_postgres   # a cluster left over from an earlier run
  if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
    die "port $PG_PORT on 127.0.0.1 is already in use; set POLYDEV_TEST_PG_PORT to a free port"
  fi

  # Fresh cluster every run, with a fresh random password (never on a command line).
  rm -rf "$PGDATA"
  local owner=() pwfile password
  if [[ $EUID -eq 0 ]]; then owner=(-o postgres -g postgres); fi
  install -d -m 700 "${owner[@]}" "$PGDATA"
  password="$(od -An -tx1 -N18 /dev/urandom | tr -d ' \n')"
  pwfile="$(mktemp "$PGDATA.pw.XXXXXX")"   # 0600, beside the (still empty) data dir
  printf '%s\n' "$password" >"$pwfile"
  if [[ $EUID -eq 0 ]]; then chown postgres:postgres "$pwfile"; fi
  if ! pg_run "$PG_BIN/initdb" -D "$PGDATA" -U polydev --pwfile="$pwfile" \
      --auth=scram-sha-256 -E UTF8 --no-locale --no-sync >"$ROOT/.polydev/logs/initdb.log" 2>&1; then
    rm -f "$pwfile"
    die "initdb failed (see .polydev/logs/initdb.log)"
  fi
  mv "$pwfile" "$PGDATA/polydev-password"

  cat >>"$PGDATA/postgresql.conf" <<CONF

# scripts/lib/postgres.sh: throw-away test cluster
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PGDATA'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF

  if ! pg_run "$PG_BIN/pg_ctl" start -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 -s >/dev/null; then
    tail -n 20 "$PGDATA/server.log" >&2 || true
    die "PostgreSQL test cluster did not start (log: $PGDATA/server.log)"
  fi
  PG_URL="Host=127.0.0.1;Port=$PG_PORT;Username=polydev;Password=$password;Database=postgres"
  log "PostgreSQL test cluster: up on 127.0.0.1:$PG_PORT (data: ${PGDATA#"$ROOT"/})"
}
