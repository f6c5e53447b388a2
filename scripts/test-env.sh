#!/bin/bash
# Prepares this machine for wirt's end-to-end tests (tag e2e): libvirtd with QEMU and a tiny test
# guest. Idempotent; run as root (`make test` does). Never starts a libvirt network itself: the
# console test defines an isolated one of its own (no <forward>), whose DHCP needs dnsmasq.
set -euo pipefail

GUEST_DIR=${WIRT_TEST_GUEST_DIR:-/var/lib/wirt-test/guest}
PACKAGES=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils linux-image-amd64
  busybox-static cpio genisoimage dnsmasq-base)
WAIT_SECONDS=30

say() { echo "test-env: $*"; }
die() { echo "test-env: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (the e2e tests use qemu:///system)"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# systemd (for systemd-analyze) and sudo (for visudo): PackageTest checks the unit and sudo rule;
# strace: PackageTest checks wirtd's system calls against the unit's SystemCallFilter=;
# bash-completion: it completes with the installed completion scripts; groff-base: it renders the
# man pages.
PACKAGES+=(systemd sudo strace bash-completion groff-base)
# SystemdTest: systemd-nspawn boots this machine's OS in a container (systemd-container), where
# it follows the README's install (make, maven) and checks the unit (ss: iproute2); lintian
# checks the .deb.
PACKAGES+=(systemd-container iproute2 make maven lintian)
missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "packages present"
fi

if virsh -c qemu:///system version >/dev/null 2>&1; then
  say "libvirtd already running"
else
  mkdir -p /var/log/libvirt /run/libvirt
  # The daemons outlive this script: they must not inherit its descriptors beyond stdio (run
  # under `flock /run/wirt-make-test.lock`, they would hold that lock for as long as they run).
  detached() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    "$@"
  }
  if ! pgrep -x virtlogd >/dev/null; then
    say "starting virtlogd"
    (detached virtlogd -d)
  fi
  if ! pgrep -x libvirtd >/dev/null; then
    say "starting libvirtd"
    (detached libvirtd -d)
  fi
  for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
    virsh -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.1
  done
  virsh -c qemu:///system version >/dev/null 2>&1 \
    || die "libvirtd did not answer on qemu:///system within ${WAIT_SECONDS}s; see /var/log/libvirt"
  say "libvirtd answers on qemu:///system"
fi

if [[ -s $GUEST_DIR/vmlinuz && -s $GUEST_DIR/initrd.gz && $GUEST_DIR/initrd.gz -nt $here/make-test-guest.sh ]]; then
  say "test guest present in $GUEST_DIR"
else
  say "building test guest in $GUEST_DIR"
  "$here/make-test-guest.sh" "$GUEST_DIR"
fi
# Every directory above the guest must let the qemu user through.
chmod 0755 /var/lib/wirt-test "$GUEST_DIR" 2>/dev/null || true
say "ready"
