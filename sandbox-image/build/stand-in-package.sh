#!/bin/sh
# stand-in-package.sh REAL_PACKAGE REASON
# Installs an empty package that provides REAL_PACKAGE, and pins the real one out, for a
# dependency Debian declares but the sandbox does not use at run time (see the Dockerfile).
set -eu
real=$1
reason=$2
stub=$(mktemp -d)
mkdir "$stub/DEBIAN"
printf '%s\n' \
    "Package: cib-stand-in-$real" 'Version: 1.0' 'Architecture: all' 'Priority: optional' \
    'Maintainer: code-interpreter-bot <noreply@localhost>' "Provides: $real" \
    "Description: stands in for $real: $reason" \
    > "$stub/DEBIAN/control"
dpkg-deb --build "$stub" "$stub.deb"
dpkg -i "$stub.deb"
rm -rf "$stub" "$stub.deb"
printf '%s\n' "Package: $real" 'Pin: release *' 'Pin-Priority: -1' > "/etc/apt/preferences.d/no-$real"
