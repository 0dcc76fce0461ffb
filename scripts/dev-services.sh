#!/usr/bin/env bash
# Keep the test services running between pytest runs (saves ~12 s of cluster start-up per run).
#   eval "$(bash scripts/dev-services.sh up)"   # starts redis, dockerd, real cluster; prints exports
#   bash scripts/dev-services.sh down            # stops exactly what `up` started
#   bash scripts/dev-services.sh env             # prints the exports again
# The exports (OPSBOT_TEST_REDIS_URL, OPSBOT_TEST_DOCKER_HOST, KUBECONFIG_OPSBOT_REAL) make the
# fixtures in tests/fixtures/services.py reuse these services instead of starting their own.
# Use one set per developer: tests FLUSHALL the redis. State dir: $OPSBOT_DEV_DIR
# (default /tmp/opsbot-dev-$USER; kept short for the unix socket path limit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
D=${OPSBOT_DEV_DIR:-/tmp/opsbot-dev-${USER:-$(id -un)}}
REAL_CLUSTER=${OPSBOT_REAL_CLUSTER:-../shared/k8s/real-cluster}
say() { printf '[dev-services] %s\n' "$*" >&2; }
die() { printf '[dev-services] ERROR: %s\n' "$*" >&2; exit 1; }
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  for ((i = 0; i < limit * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what did not come up within $limit s (logs in $D)"
}

print_env() {
  [[ -f $D/redis.port ]] && printf 'export OPSBOT_TEST_REDIS_URL=redis://127.0.0.1:%s/0\n' "$(cat "$D/redis.port")"
  [[ -S $D/docker.sock ]] && printf 'export OPSBOT_TEST_DOCKER_HOST=unix://%s/docker.sock\n' "$D"
  [[ -f $D/k8s/kubeconfig ]] && printf 'export KUBECONFIG_OPSBOT_REAL=%s/k8s/kubeconfig\n' "$D"
  return 0
}

up() {
  mkdir -p "$D"
  if ! alive "$D/redis.pid"; then
    local port; port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$D" \
      --daemonize yes --pidfile "$D/redis.pid" --logfile "$D/redis.log"
    echo "$port" > "$D/redis.port"
    wait_for 10 redis-server redis-cli -p "$port" ping
    say "redis-server on 127.0.0.1:$port"
  fi
  if ! alive "$D/docker.pid"; then
    [[ $(id -u) == 0 ]] || die "a private dockerd needs root"
    setsid dockerd --host "unix://$D/docker.sock" --data-root "$D/docker-data" \
      --exec-root "$D/docker-exec" --pidfile "$D/docker.pid" --iptables=false --bridge=none \
      </dev/null >"$D/dockerd.log" 2>&1 &
    wait_for 60 dockerd docker -H "unix://$D/docker.sock" version
    DOCKER_HOST="unix://$D/docker.sock" bash scripts/make-busybox-image >/dev/null
    say "dockerd at unix://$D/docker.sock (image opsbot-test/busybox:1)"
  fi
  if ! OPSBOT_K8S_RUN="$D/k8s" bash "$REAL_CLUSTER" env >/dev/null 2>&1; then
    OPSBOT_K8S_RUN="$D/k8s" bash "$REAL_CLUSTER" up >/dev/null
  fi
  print_env
}

down() {
  if [[ -d $D/k8s ]]; then OPSBOT_K8S_RUN="$D/k8s" bash "$REAL_CLUSTER" down || true; fi
  local name pid
  for name in redis docker; do
    if alive "$D/$name.pid"; then
      pid=$(cat "$D/$name.pid"); kill "$pid"
      for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      say "stopped $name (pid $pid)"
    fi
  done
  if [[ -d $D ]]; then
    awk -v d="$D/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l
    rm -rf "$D"
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  env) print_env ;;
  *) die "usage: $0 up|down|env" ;;
esac
