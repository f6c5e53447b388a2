#!/usr/bin/env python3
"""Keystroke round trips through a VM's serial console: one byte typed into the guest's shell,
the time until its echo comes back. Prints one JSON object: the path, the samples in ms as
measured (in order), their count, p50/p99/mean in ms.

  console-rtt.py wirt SOCKET VM N      through wirtd's relay (run as the VM's owner)
  console-rtt.py virsh URI DOMAIN N    through `virsh console`, under a pseudo-terminal
"""
import json, os, pty, select, socket, sys, time

def wait_for(read, needle, seconds=30):
    seen = b""
    deadline = time.monotonic() + seconds
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit("console-rtt: never saw %r; saw %r" % (needle, seen[-200:]))
        seen += read(left)
    return seen

def measure(send, read, n):
    send(b"\x15\r")                       # an empty shell line to start from
    wait_for(read, b"# ")
    samples = []
    for i in range(n):
        if i % 40 == 39:                  # keep the line short: Ctrl-U kills it
            send(b"\x15")
            drain(read)
        start = time.perf_counter()
        send(b"x")
        wait_for(read, b"x")
        samples.append((time.perf_counter() - start) * 1000)
    send(b"\x15")
    return samples

def drain(read):
    end = time.monotonic() + 0.05
    while time.monotonic() < end:
        read(end - time.monotonic(), quiet=True)

def reader(fd_read):
    def read(timeout, quiet=False):
        r, _, _ = select.select([fd_read], [], [], max(timeout, 0))
        if not r:
            return b""
        data = fd_read_bytes(fd_read)
        if not data and not quiet:
            sys.exit("console-rtt: the console closed")
        return data
    return read

def fd_read_bytes(f):
    if isinstance(f, socket.socket):
        return f.recv(4096)
    return os.read(f, 4096)

def wirt(path, vm, n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(("console %s\n" % vm).encode())
    answer = b""
    while not answer.endswith(b"\n"):
        answer += s.recv(1)
    if not answer.startswith(b"ok "):
        sys.exit("console-rtt: " + answer.decode().strip())
    return measure(s.sendall, reader(s), n)

def virsh(uri, domain, n):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("virsh", ["virsh", "-c", uri, "console", domain])
    read = reader(fd)
    wait_for(read, b"Escape character")
    samples = measure(lambda b: os.write(fd, b), read, n)
    os.write(fd, b"\x1d")
    # virsh may stay in its loop after the escape under a pseudo-terminal (seen): end it.
    for _ in range(50):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return samples

def main():
    kind, where, name, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    samples = wirt(where, name, n) if kind == "wirt" else virsh(where, name, n)
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    print(json.dumps({"path": kind, "ms": [round(s, 4) for s in samples],
                      "samples": len(samples), "p50": round(pick(0.50), 3),
                      "p99": round(pick(0.99), 3),
                      "mean": round(sum(samples) / len(samples), 3)}))

main()
