#!/usr/bin/env bash
# The test command. Installs what the tests need (only what is missing), builds the real
# Kubernetes control plane once (cached in ~/.cache/opsbot-k8s), syncs the project and runs
# pytest with the given arguments:   bash scripts/test.sh [pytest args...]
# The services themselves (redis-server, a private dockerd, the real cluster) are started by
# the pytest fixtures in tests/fixtures/services.py.
# Env: OPSBOT_REAL_CLUSTER (path of real-cluster), KUBECONFIG_OPSBOT_REAL (reuse a cluster:
# no build), OPSBOT_SKIP_INSTALL=1 (check only, never install).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[test.sh] %s\n' "$*" >&2; }
die() { printf '[test.sh] ERROR: %s\n' "$*" >&2; exit 1; }
started=$SECONDS

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else return 126; fi
}

# ---- system packages: CHECK:PACKAGE (a command name, or an absolute path that must exist)
has() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /sbin/$1 ]]; }
static_busybox() { [[ -x /bin/busybox ]] && ! LC_ALL=C ldd /bin/busybox >/dev/null 2>&1; }
missing=()
has redis-server || missing+=(redis-server)
has redis-sentinel || missing+=(redis-sentinel)   # tests/fixtures/redis_ha.py (failover tests)
has dockerd || missing+=(docker.io)
static_busybox || missing+=(busybox-static)
has etcd || missing+=(etcd-server)
has curl || missing+=(curl)            # real-cluster up: health checks of the API server
has openssl || missing+=(openssl)      # real-cluster up: the cluster's PKI
has xz || missing+=(xz-utils)          # real-cluster build: unpacks the Kubernetes source
if (( ${#missing[@]} )); then
  [[ ${OPSBOT_SKIP_INSTALL:-0} != 1 ]] || die "missing packages: ${missing[*]} (apt-get install -y ${missing[*]})"
  command -v apt-get >/dev/null || die "missing: ${missing[*]}; no apt-get here, install them by hand"
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root true || die "need root to install packages. Run as root, or first: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  as_root apt-get -q update >/dev/null || die "apt-get update failed (network or apt sources?)"
  as_root apt-get -q install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install -y ${missing[*]} failed"
fi

# ---- uv (PyPI); .python-version (3.12) selects pyenv's Python 3.12
if ! command -v uv >/dev/null; then
  say "installing uv with pip"
  python3 -m pip install -q uv 2>/dev/null || python3 -m pip install -q --user uv \
    || python3 -m pip install -q --break-system-packages uv \
    || die "could not install uv: run 'python3 -m pip install uv' (or see https://docs.astral.sh/uv/)"
  command -v pyenv >/dev/null && pyenv rehash 2>/dev/null || true
  hash -r
fi
if command -v uv >/dev/null; then UV=(uv); else UV=(python3 -m uv); fi
# Python 3.12 comes from the machine (pyenv / .python-version); never download one.
export UV_PYTHON_DOWNLOADS=never

# ---- the real Kubernetes control plane (build is cached; a no-op once built)
if [[ -z ${KUBECONFIG_OPSBOT_REAL:-} ]]; then
  real_cluster=${OPSBOT_REAL_CLUSTER:-../shared/k8s/real-cluster}
  [[ -f $real_cluster ]] || die "no $real_cluster: clone shared/ beside the repo, set OPSBOT_REAL_CLUSTER, or set KUBECONFIG_OPSBOT_REAL to a running cluster's kubeconfig"
  say "real Kubernetes binaries: $real_cluster build (cached; first time 5-12 min)"
  bash "$real_cluster" build
fi

# ---- Synapse (a real Matrix homeserver for tests/matrix): its own venv, never the project's
synapse_home=${OPSBOT_SYNAPSE_HOME:-$HOME/.cache/opsbot-synapse}
if [[ ! -x $synapse_home/venv/bin/python ]] || ! "$synapse_home/venv/bin/python" -c 'import synapse' 2>/dev/null; then
  [[ ${OPSBOT_SKIP_INSTALL:-0} != 1 ]] || die "Synapse missing: python3 -m venv $synapse_home/venv && $synapse_home/venv/bin/pip install matrix-synapse"
  say "installing matrix-synapse into $synapse_home/venv (about 30 s)"
  python3 -m venv "$synapse_home/venv" || die "python3 -m venv failed"
  "$synapse_home/venv/bin/pip" install -q matrix-synapse || die "pip install matrix-synapse failed"
fi

say "uv sync"
"${UV[@]}" sync --frozen --quiet
say "ready in $((SECONDS - started)) s; running pytest $*"
exec "${UV[@]}" run --frozen pytest "$@"
