#!/usr/bin/env bash
# Makes sure a Docker daemon answers, installing and starting one if needed. Meant for CI and
# fresh Debian 12 machines without systemd; run it as root. Also installs debootstrap, which the
# sandbox image build uses to make its base image where Docker Hub cannot be reached.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
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
    exit 0
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
    exit 0
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
