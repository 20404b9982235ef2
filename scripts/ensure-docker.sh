#!/usr/bin/env bash
# Makes sure a Docker daemon answers, installing and starting one if needed. Meant for CI and
# fresh Debian 12 machines without systemd; run it as root. Also installs debootstrap, which the
# sandbox image build uses to make its base image where Docker Hub cannot be reached.
#
# With --runsc it also installs gVisor (Debian's runsc package) and registers it with dockerd as
# the runtime "runsc", for SANDBOX_RUNTIME=runsc. Safe to run again: it changes nothing that is
# already in place, and never restarts a running dockerd (SIGHUP reloads its runtimes while its
# containers keep running).
set -euo pipefail

with_runsc=false
for arg in "$@"; do
  case "$arg" in
    --runsc) with_runsc=true ;;
    *)
      echo "ensure-docker: unknown option $arg (known: --runsc)" >&2
      exit 2
      ;;
  esac
done

ensure_runsc() {
  local daemon_json=/etc/docker/daemon.json
  # --network=none: runsc sets up no network of its own (only loopback inside gVisor). Sandboxes
  # never have a network, and without it runsc refuses to start Docker's `--network none`
  # containers on machines where it takes their namespace for the host's ("cannot run with
  # network enabled in root network namespace", seen on Firecracker CI VMs). No --platform: the
  # package's default (ptrace in bookworm's 2022 build, systrap in newer ones) works without KVM.
  local wanted_args='["--network=none"]'
  if ! command -v runsc >/dev/null 2>&1; then
    if [[ "$(id -u)" -ne 0 ]]; then
      echo "ensure-docker: installing runsc needs root: run this script as root" >&2
      exit 1
    fi
    echo "ensure-docker: installing runsc"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y runsc
  fi
  local runsc_path
  runsc_path="$(command -v runsc)"
  # Prints the merged daemon.json when the runsc entry is missing or different, nothing otherwise:
  # other settings (mirrors, log options, other runtimes) stay as they are.
  local merged
  merged="$(
    python3 - "$daemon_json" "$runsc_path" "$wanted_args" <<'PY'
import json, os, sys
path, runsc, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
config = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        config = json.load(f)
wanted = {"path": runsc, "runtimeArgs": args}
if config.get("runtimes", {}).get("runsc") != wanted:
    config.setdefault("runtimes", {})["runsc"] = wanted
    print(json.dumps(config, indent=2))
PY
  )"
  if [[ -n "$merged" ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
      echo "ensure-docker: registering runsc in $daemon_json needs root: run this script as root" >&2
      exit 1
    fi
    mkdir -p "$(dirname "$daemon_json")"
    printf '%s\n' "$merged" >"$daemon_json.tmp"
    mv "$daemon_json.tmp" "$daemon_json"
    echo "ensure-docker: registered runsc ($runsc_path) in $daemon_json"
  fi
  if [[ "$(docker info --format '{{json .Runtimes.runsc}}')" != *'"--network=none"'* ]]; then
    local dockerd_pid
    dockerd_pid="$(pidof dockerd || true)"
    if [[ -z "$dockerd_pid" ]]; then
      echo "ensure-docker: the Docker daemon answers but no dockerd runs here; register runsc with it by hand" >&2
      exit 1
    fi
    # SIGHUP reloads daemon.json's runtimes; a restart would stop every running container.
    echo "ensure-docker: reloading dockerd (pid $dockerd_pid) with SIGHUP"
    kill -HUP "$dockerd_pid"
    local known=false
    for _ in $(seq 1 20); do
      if [[ "$(docker info --format '{{json .Runtimes.runsc}}')" == *'"--network=none"'* ]]; then
        known=true
        break
      fi
      sleep 0.5
    done
    if [[ "$known" != true ]]; then
      echo "ensure-docker: dockerd did not pick up runsc after SIGHUP; see its log (/var/log/dockerd-ci.log)" >&2
      exit 1
    fi
  fi
  echo "ensure-docker: dockerd knows the runsc runtime ($(runsc --version | head -n 1))"
  # The check runs `true` and nothing else, with no network: the sandbox image if it is built,
  # else any local image (nothing is pulled).
  local image
  image="$(docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -m 1 '^code-interpreter-bot-sandbox:' || true)"
  if [[ -z "$image" ]]; then
    image="$(docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>' | head -n 1 || true)"
  fi
  if [[ -z "$image" ]]; then
    echo "ensure-docker: runsc is registered; no local image yet to check it with (build the sandbox image, then run this again)"
    return 0
  fi
  if ! docker run --rm --runtime=runsc --network=none --entrypoint true "$image" >/dev/null; then
    echo "ensure-docker: \`docker run --runtime=runsc $image true\` failed; run dockerd with runtimeArgs [\"--debug\", \"--debug-log=/tmp/runsc/\"] in $daemon_json to see why" >&2
    exit 1
  fi
  echo "ensure-docker: runsc runs containers ($image)"
}

# Every way out with a working daemon goes through here, so --runsc holds whichever way it came up.
daemon_up() {
  if [[ "$with_runsc" == true ]]; then
    ensure_runsc
  fi
  exit 0
}

if docker info >/dev/null 2>&1; then
  daemon_up
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-docker: the Docker daemon does not answer, and starting one needs root: run this script as root" >&2
  exit 1
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "ensure-docker: installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  # Without systemd, the package's init script may already have started the daemon.
  if docker info >/dev/null 2>&1; then
    daemon_up
  fi
fi

log=/var/log/dockerd-ci.log
if ! touch "$log" 2>/dev/null; then
  log="$(mktemp -t dockerd-ci.XXXXXX.log)"
fi
pidfile=/var/run/docker.pid
if [[ -s "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  # A daemon is already starting (an init script, or an earlier run); a second one would fail.
  dockerd_pid="$(cat "$pidfile")"
  echo "ensure-docker: dockerd is already running (pid $dockerd_pid); waiting for it"
else
  echo "ensure-docker: starting dockerd (log: $log)"
  nohup dockerd >>"$log" 2>&1 </dev/null &
  dockerd_pid=$!
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "ensure-docker: the Docker daemon is up"
    daemon_up
  fi
  if ! kill -0 "$dockerd_pid" 2>/dev/null; then
    echo "ensure-docker: dockerd exited before answering; the end of its log ($log):" >&2
    tail -n 30 "$log" >&2 || true
    exit 1
  fi
  sleep 1
done

echo "ensure-docker: dockerd did not answer \`docker info\` within 60 s; the end of its log ($log):" >&2
tail -n 30 "$log" >&2 || true
exit 1
