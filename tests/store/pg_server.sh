#!/usr/bin/env bash
# The PostgreSQL server the store tests run against: a throwaway cluster in a temporary folder,
# on a random free loopback port with its unix socket in that folder, no durability (fsync off:
# nothing here must survive a crash of the machine).
#
#   pg_server.sh start DIR          initdb + pg_ctl start; prints "HOST PORT" (HOST: the socket folder)
#   pg_server.sh stop DIR           stops it (immediate) and removes DIR
#   pg_server.sh watch DIR          waits for stdin to close, then stops it: the test binary's
#                                   own server ends with the binary, however the binary ends
#   pg_server.sh start-shared FILE  for CTest's fixture: a server in a new folder under /tmp,
#                                   "HOST PORT" written to FILE, or "error: ..." when it cannot
#                                   start (the PostgreSQL tests then fail with that message)
#   pg_server.sh stop-shared FILE   stops the server FILE names and removes FILE
#
# initdb refuses to run as root: as root, the cluster belongs to the postgres system user that
# Debian's postgresql-15 creates (tools/setup installs it).
set -euo pipefail

bin=${SAPHAN_PG_BIN:-/usr/lib/postgresql/15/bin}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local dir=$1
  if [[ ! -x $bin/initdb || ! -x $bin/pg_ctl ]]; then
    echo "PostgreSQL server binaries not found in $bin: run tools/setup (postgresql-15)" >&2
    return 1
  fi
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "running as root and there is no postgres user to run the server as:" \
        "run tools/setup (postgresql-15)" >&2
      return 1
    fi
    chown postgres: "$dir"
  fi
  if ! as_owner "$bin/initdb" -D "$dir/data" -U saphan -A trust -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1; then
    echo "initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    return 1
  fi
  local attempt port
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 40000))
    # A port something else listens on makes the start fail: try another.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -s \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
          -c synchronous_commit=on -c max_connections=200 -c shared_buffers=32MB" start; then
      echo "$dir $port"
      return 0
    fi
  done
  echo "PostgreSQL did not start; its log:" >&2
  cat "$dir/server.log" >&2 || true
  return 1
}

stop() {
  local dir=$1
  if [[ -d $dir/data ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -s stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case ${1:-} in
  start) start "$2" ;;
  stop) stop "$2" ;;
  watch)
    cat >/dev/null || true
    stop "$2"
    ;;
  start-shared)
    dir=$(mktemp -d /tmp/saphan-pg-XXXXXXXX)
    chmod 755 "$dir"
    if out=$(start "$dir" 2>"$dir.err"); then
      echo "$out" >"$2"
      rm -f "$dir.err"
    else
      { echo -n "error: "; tr '\n' ' ' <"$dir.err"; echo; } >"$2"
      cat "$dir.err" >&2
      rm -f "$dir.err"
      stop "$dir"
    fi
    ;;
  stop-shared)
    if [[ -f $2 ]]; then
      read -r dir _ <"$2" || true
      [[ $dir == /tmp/saphan-pg-* ]] && stop "$dir"
      rm -f "$2"
    fi
    ;;
  *)
    echo "usage: $0 start|stop|watch DIR | start-shared|stop-shared FILE" >&2
    exit 2
    ;;
esac
