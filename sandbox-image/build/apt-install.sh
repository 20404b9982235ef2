#!/bin/sh
# Installs Debian packages for one layer of the image and leaves none of apt's state in it.
# Recommends are left out: they would add Tk, GTK and documentation nobody in the sandbox can use.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "$@"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
