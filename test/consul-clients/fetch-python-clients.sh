#!/bin/sh
# Debian's two Python Consul clients both ship the module `consul` and conflict as packages:
# each is unpacked into its own folder, used with PYTHONPATH by test/e2e/consul-python.e2e-spec.ts.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/.clients"
mkdir -p "$dest"
cd "$dest"
for pkg in python3-consul python3-consul2; do
  [ -d "$dest/$pkg/usr/lib/python3/dist-packages/consul" ] && continue
  # Package lists may be missing on a fresh machine: one update, then try again.
  apt-get download "$pkg" >/dev/null 2>&1 ||
    { ${SUDO-} apt-get update -qq && apt-get download "$pkg" >/dev/null; }
  dpkg-deb -x "$(ls ${pkg}_*.deb | head -1)" "$pkg"
done
