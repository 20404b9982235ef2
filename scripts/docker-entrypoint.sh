#!/bin/sh
# The bot image's entrypoint: runs the command as the unprivileged `bot` user, in the group that
# owns the Docker socket, so the bot can create sandboxes without being root in its container.
#
# The group is only known at run time (Debian's `docker` group has a different id on every host,
# Docker Desktop and rootless Docker show the socket as group 0), so the container starts as root
# and drops to `bot` here. This buys little against an attacker who takes over the bot: whoever
# can use the Docker socket is root on the host anyway (see the README's Deployment section). It
# keeps the bot from changing its own code in /app, and files in /data owned by one user.
set -eu

if [ "$(id -u)" != 0 ]; then
  # Started with --user: nothing to drop.
  exec "$@"
fi

socket=/var/run/docker.sock
case "${DOCKER_HOST:-}" in
  unix://*) socket="${DOCKER_HOST#unix://}" ;;
  "") ;;
  *) socket="" ;; # tcp:// (a dedicated Docker host): no socket to reach.
esac

groups=--clear-groups
if [ -n "$socket" ] && [ -S "$socket" ]; then
  case "$(stat -c %A "$socket")" in
    ????rw*) groups="--groups=$(stat -c %g "$socket")" ;;
    *)
      # Only its owner may use it (some rootless set-ups): the bot stays root, which in a
      # rootless engine is the unprivileged user who runs Docker.
      echo "docker-entrypoint: $socket is not writable by its group; running as root" >&2
      exec "$@"
      ;;
  esac
fi

export HOME=/home/bot
exec setpriv --reuid=bot --regid=bot "$groups" --inh-caps=-all -- "$@"
