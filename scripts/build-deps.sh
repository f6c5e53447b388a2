#!/usr/bin/env bash
# Installs what building and running the demo needs: a JDK 17+, Maven and libvirt's client
# library (libvirt0, which holds the test:///default driver). Installs only what is missing, and
# only as root; otherwise it says what to install.
set -euo pipefail

missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
ldconfig -p 2>/dev/null | grep -q 'libvirt\.so\.0' || missing+=(libvirt0)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "build-deps: missing ${missing[*]}; install them (sudo apt-get install ${missing[*]}) or run as root" >&2
  exit 1
fi
echo "build-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
