#!/usr/bin/env bash
# Checks that every system call in an strace log (strace -f -o FILE /usr/sbin/wirtd ...) is allowed
# by SystemCallFilter=@system-service, the filter of systemd/wirtd.service. Prints the calls that
# are not and exits 1 if there are any. Needs systemd-analyze.
set -euo pipefail
[[ $# -eq 1 && -r $1 ]] || { echo "usage: $0 STRACE_LOG" >&2; exit 2; }

expand() {
  systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/^ *//' | grep -v '^#' | grep . |
    while read -r name; do
      if [[ $name == @* ]]; then expand "$name"; else echo "$name"; fi
    done
}

allowed=$(expand @system-service | sort -u)
used=$( { grep -oE '^[0-9]+ +[a-z_0-9]+\(' "$1" | awk '{print $2}' | tr -d '(';
          grep -oE '<\.\.\. [a-z_0-9]+ resumed>' "$1" | awk '{print $2}'; } | sort -u)
missing=$(comm -23 <(echo "$used") <(echo "$allowed"))
echo "syscall-check: $(echo "$used" | wc -l) system calls used, all checked against @system-service"
if [[ -n $missing ]]; then
  echo "syscall-check: not in @system-service: $(echo $missing)" >&2
  exit 1
fi
