#!/bin/bash
# Builds the tiny guest the end-to-end tests boot: Debian's kernel and a busybox initramfs that
# powers off when the ACPI power button is pressed (virsh shutdown), asks for a DHCP address on
# its first network card, if it has one, and keeps a shell on its serial console (ttyS0).
#
# Usage: scripts/make-test-guest.sh DIR     (e.g. /var/lib/wirt-test/guest)
# Writes DIR/vmlinuz and DIR/initrd.gz, readable by the qemu process (user libvirt-qemu).
set -euo pipefail

die() { echo "make-test-guest: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 DIR"
dir=$1
busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox missing; install busybox-static"
# A dynamically linked busybox (package busybox) would find no libc in the initramfs.
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' \
  || die "busybox-static is not installed; install it (the initramfs has no libc)"
command -v cpio >/dev/null || die "cpio missing; install cpio"

# The newest kernel in /boot whose modules are installed.
kver=
for kernel in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V -r); do
  candidate=${kernel#/boot/vmlinuz-}
  if [[ -f /lib/modules/$candidate/modules.dep ]]; then kver=$candidate; break; fi
done
[[ -n $kver ]] || die "no /boot/vmlinuz-* with /lib/modules/<version>; install linux-image-amd64"
moddir=/lib/modules/$kver

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,etc/acpi/PWRF,lib/modules,tmp}
cp "$busybox" "$root/bin/busybox"
for applet in sh mount insmod acpid poweroff sleep echo cat ls grep; do
  ln -s busybox "$root/bin/$applet"
done

# Module load order: dependencies first. busybox insmod needs plain .ko files.
order=()
add_module() { # relative path as in modules.dep
  local rel=$1 dep
  for seen in "${order[@]:-}"; do [[ $seen == "$rel" ]] && return 0; done
  local line
  line=$(grep -E "^${rel//./\\.}:" "$moddir/modules.dep") || die "$rel not in $moddir/modules.dep"
  for dep in ${line#*:}; do add_module "$dep"; done
  order+=("$rel")
}
for name in button evdev virtio_pci virtio_net; do
  if grep -qE "/$name\.ko(\.[a-z]+)?$" "$moddir/modules.builtin" 2>/dev/null; then
    echo "make-test-guest: $name is built into $kver"
    continue
  fi
  rel=$(grep -oE "^[^:]*/$name\.ko(\.(xz|zst|gz))?:" "$moddir/modules.dep" | head -1 | tr -d :) \
    || die "module $name not found for $kver"
  add_module "$rel"
done
load=
for rel in "${order[@]:-}"; do
  [[ -n $rel ]] || continue
  base=$(basename "$rel")
  plain=${base%.xz}; plain=${plain%.zst}; plain=${plain%.gz}
  case $base in
    *.ko.xz) xz -dc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
    *.ko.zst) zstd -qdc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
    *.ko.gz) gzip -dc "$moddir/$rel" >"$root/lib/modules/$plain" ;;
    *) cp "$moddir/$rel" "$root/lib/modules/$plain" ;;
  esac
  load+="insmod /lib/modules/$plain"$'\n'
done

cat >"$root/init" <<INIT
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
${load}acpid -f -c /etc/acpi -l /dev/null &
# acpid opens the input devices after it starts; a button pressed before that is lost, so say
# "ready" only once it holds one open.
pid=\$!
i=0
while [ \$i -lt 100 ] && ! ls -l /proc/\$pid/fd 2>/dev/null | grep -q /dev/input/event; do
  sleep 0.1
  i=\$((i + 1))
done
echo "wirt-test-guest: ready for ACPI power button"
# A DHCP lease is what the address tests look for; the script sets the address it got.
if [ -e /sys/class/net/eth0 ]; then
  ifconfig eth0 up
  udhcpc -i eth0 -s /etc/udhcpc.sh -b -q -t 20 >/dev/null 2>&1
fi
# A shell on the serial console, for wirt console: getty makes ttyS0 its controlling terminal.
while true; do
  getty -n -l /bin/serial-shell 115200 ttyS0 vt100 || sleep 1
done
INIT
cat >"$root/bin/serial-shell" <<'SHELL'
#!/bin/sh
echo "wirt-test-guest: shell on ttyS0"
exec /bin/sh -i
SHELL
cat >"$root/etc/udhcpc.sh" <<'DHCP'
#!/bin/sh
case "$1" in
  bound|renew) ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up ;;
esac
DHCP
cat >"$root/etc/acpi/PWRF/00000080" <<'HANDLER'
#!/bin/sh
echo "wirt-test-guest: power button, powering off"
poweroff -f
HANDLER
chmod 0755 "$root/init" "$root/etc/acpi/PWRF/00000080" "$root/bin/serial-shell" \
  "$root/etc/udhcpc.sh"

install -d -m 0755 "$dir"
(cd "$root" && find . | sort | cpio -o -H newc --owner=0:0 --quiet) | gzip -9 >"$work/initrd.gz"
install -m 0644 "/boot/vmlinuz-$kver" "$dir/vmlinuz"
install -m 0644 "$work/initrd.gz" "$dir/initrd.gz"
echo "$kver" >"$dir/kernel-version"
chmod 0644 "$dir/kernel-version"
echo "make-test-guest: built $dir (kernel $kver, modules: ${order[*]:-none})"
