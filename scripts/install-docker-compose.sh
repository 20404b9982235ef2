#!/usr/bin/env bash
# Makes sure `docker compose` (Compose v2, the Docker CLI plugin) works, installing it if needed.
# Meant for CI and Debian 12 machines; run it as root.
#
# Debian bookworm packages only the old Python docker-compose 1.29. Debian trixie's
# docker-compose package is Compose v2, a Go binary that needs only glibc 2.34, so it runs on
# bookworm too: it is downloaded from trixie with a throwaway apt state (the system's sources
# and package lists are left alone; the Release file is checked against Debian's keyring), and
# only the plugin is copied out of it.
set -euo pipefail

if docker compose version >/dev/null 2>&1; then
  docker compose version
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "install-docker-compose: \`docker compose\` is missing, and installing it needs root: run this script as root" >&2
  exit 1
fi

mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
plugins=/usr/local/lib/docker/cli-plugins

work="$(mktemp -d -t install-docker-compose.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# apt downloads as the unprivileged _apt user, who must reach into the directory.
chmod 0755 "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
cat >"$work/sources.list" <<EOF
deb [signed-by=$keyring] $mirror trixie main
deb [signed-by=$keyring] $mirror trixie-updates main
deb [signed-by=$keyring] $security_mirror trixie-security main
EOF
apt_options=(
  -o "Dir::Etc::SourceList=$work/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  -o "Dir::State::status=/dev/null"
)

echo "install-docker-compose: downloading Compose v2 from Debian trixie ($mirror)"
apt-get "${apt_options[@]}" -qq update
mkdir "$work/debs"
chown _apt "$work/debs" 2>/dev/null || true
(cd "$work/debs" && apt-get "${apt_options[@]}" download docker-compose)
dpkg-deb -x "$work"/debs/docker-compose_*.deb "$work/root"
install -D -m 0755 "$work/root/usr/libexec/docker/cli-plugins/docker-compose" "$plugins/docker-compose"
echo "install-docker-compose: installed $plugins/docker-compose"
docker compose version
