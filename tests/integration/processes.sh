# Process helpers for the integration scripts that run hub, connector and TSA processes (sourced
# after lib.sh): a work directory, processes started and awaited by a pattern in their log, and
# a trap that stops them all (TERM, then KILL) and removes the work directory on any exit.
work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
forget() {  # forget PID: drops a reaped process from the cleanup list
  local keep=() pid
  for pid in "${pids[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
  pids=("${keep[@]}")
}
trap 'exit 130' INT
trap 'exit 143' TERM

abort() {  # abort MESSAGE [LOG]: a step that later steps depend on failed
  echo "FAIL: $1"
  [[ -n ${2:-} && -f $2 ]] && sed 's/^/    /' "$2" | tail -n 30
  failed=$((failed + 1))
  finish
  exit 1
}

# start NAME PATTERN CMD...: runs CMD with its output in $work/NAME.log, waits (10 s at most) for
# PATTERN in the log; sets started_pid.
start() {
  local name=$1 pattern=$2; shift 2
  local log=$work/$name.log
  "$@" >"$log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
  for _ in $(seq 100); do
    grep -qE "$pattern" "$log" 2>/dev/null && return 0
    kill -0 "$started_pid" 2>/dev/null || abort "$name exited before it was ready" "$log"
    sleep 0.1
  done
  abort "$name not ready within 10 s" "$log"
}

