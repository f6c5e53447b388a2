package org.wirt.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.wirt.testing.RealUsers.Exit;

/**
 * This machine's own OS booted under a real systemd in a container: {@code systemd-nspawn -b} on
 * an overlay of {@code /} (the upper layer in a fresh directory under /tmp), so whatever happens
 * inside (a package installed, users made, files written) is thrown away with the container and
 * the host stays as it was. The container has its own network namespace with only loopback
 * ({@code --private-network}): nothing inside can reach another host. Commands run inside with
 * {@code nsenter} into all of its init's namespaces, as root, with a clean environment.
 *
 * <p>Before booting, libvirt inside is set up for a container (QEMU's processes are not put into
 * cgroup controllers, which nspawn mounts read-only) and no libvirt network is autostarted.
 */
public final class Container implements AutoCloseable {
  private static final Duration BOOT = Duration.ofMinutes(2);
  private static final Duration COMMAND = Duration.ofMinutes(2);
  private static final List<String> ENV = List.of("env", "-i",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
      "LANG=C.UTF-8", "TERM=dumb");

  private final Path dir;
  private final Path root;
  private final Process nspawn;
  private final long init;

  private Container(Path dir, Path root, Process nspawn, long init) {
    this.dir = requireNonNull(dir);
    this.root = requireNonNull(root);
    this.nspawn = requireNonNull(nspawn);
    this.init = init;
  }

  /**
   * Boots the container and returns once its systemd has finished booting. {@code share} (e.g. the
   * source tree) is seen inside at the same path, on an overlay of its own: it may be under /tmp,
   * which is a fresh tmpfs inside, and what is written there inside stays inside.
   */
  public static Container boot(Path share) throws IOException, InterruptedException {
    RealUsers.requireRoot();
    Path dir = Files.createTempDirectory("wirt-systemd");
    Path root = dir.resolve("root");
    Files.createDirectories(dir.resolve("upper"));
    Files.createDirectories(dir.resolve("work"));
    Files.createDirectories(root);
    check(RealUsers.attemptAsRoot("mount", "-t", "overlay", "overlay", "-o",
        "lowerdir=/,upperdir=" + dir.resolve("upper") + ",workdir=" + dir.resolve("work"),
        root.toString()), "mount the overlay of / at " + root);
    Process nspawn = null;
    try {
      prepare(root);
      nspawn = new ProcessBuilder("systemd-nspawn", "--quiet", "-D", root.toString(),
          "--register=no", "--keep-unit", "--private-network", "--console=read-only",
          "--overlay=" + share + "::" + share, "-b")
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("console.log").toFile())
          .start();
      long init = awaitInit(nspawn, dir);
      Container container = new Container(dir, root, nspawn, init);
      container.awaitBooted();
      return container;
    } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
      if (nspawn != null) {
        stop(nspawn, nspawn.children().mapToLong(ProcessHandle::pid).findFirst().orElse(-1));
      }
      unmount(dir, root);
      throw e;
    }
  }

  /**
   * QEMU inside: no cgroup controllers (nspawn mounts the v1 controllers read-only, and libvirt
   * fails to start a domain when it cannot make its group). No network autostarted: tests never
   * start one. Removing a file through the overlay leaves a whiteout in the upper layer only.
   */
  private static void prepare(Path root) throws IOException {
    Path qemuConf = root.resolve("etc/libvirt/qemu.conf");
    Files.writeString(qemuConf, (Files.exists(qemuConf) ? Files.readString(qemuConf, UTF_8) : "")
        + "\n# wirt's SystemdTest: nspawn mounts the cgroup v1 controllers read-only.\n"
        + "cgroup_controllers = [ ]\n", UTF_8);
    Path autostart = root.resolve("etc/libvirt/qemu/networks/autostart");
    if (Files.isDirectory(autostart)) {
      try (var links = Files.list(autostart)) {
        for (Path link : links.toList()) {
          Files.delete(link);
        }
      }
    }
  }

  /** The container's init: the process nspawn forks, once it runs systemd. */
  private static long awaitInit(Process nspawn, Path dir) throws IOException, InterruptedException {
    return Await.value("systemd started in the container", BOOT, () -> console(dir), () -> {
      if (!nspawn.isAlive()) {
        throw new AssertionError("systemd-nspawn exited with " + nspawn.exitValue() + ":\n"
            + console(dir));
      }
      return nspawn.children().filter(child -> "systemd".equals(comm(child.pid())))
          .map(ProcessHandle::pid).findFirst();
    }, Optional::isPresent).get();
  }

  private static String console(Path dir) {
    try {
      return Files.readString(dir.resolve("console.log"), UTF_8);
    } catch (IOException e) {
      return "(no console.log: " + e + ")";
    }
  }

  private static String comm(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/comm"), UTF_8).strip();
    } catch (IOException e) {
      return "";
    }
  }

  private void awaitBooted() throws IOException, InterruptedException {
    // Until its systemd listens on its bus, systemctl answers nothing.
    Await.until("the container's systemd to answer systemctl", BOOT,
        () -> !exec(Duration.ofSeconds(10), List.of("systemctl", "is-system-running"))
            .stdout().isBlank());
    // --wait subscribes on the system bus, which dbus-daemon serves only later in the boot: until
    // then it fails with "Failed to connect to bus" and prints nothing, so it is asked again.
    Exit running = Await.value("the container's boot to finish", BOOT,
        () -> exec(BOOT, List.of("systemctl", "is-system-running", "--wait")),
        e -> !e.stdout().isBlank());
    // degraded: some unit of this machine's own failed (one that has no business in a container);
    // what the tests use is checked by them.
    if (!List.of("running", "degraded").contains(running.stdout().strip())) {
      throw new AssertionError("the container did not boot: " + running + "\n"
          + exec(COMMAND, List.of("systemctl", "--failed", "--no-pager")).stdout()
          + Files.readString(dir.resolve("console.log"), UTF_8));
    }
  }

  /** Runs {@code command} inside as root and returns how it ended. */
  public Exit run(String... command) throws IOException {
    return exec(COMMAND, List.of(command));
  }

  /** Runs {@code command} inside as root; fails unless it exits with 0. */
  public String ok(String... command) throws IOException {
    Exit e = run(command);
    check(e, String.join(" ", command));
    return e.stdout();
  }

  /** Runs {@code script} inside with {@code sh -c} as root, in {@code directory}. */
  public Exit sh(Path directory, String script) throws IOException {
    return exec(COMMAND, List.of("sh", "-c", "cd \"$1\" && " + script, "sh", directory.toString()));
  }

  /** Runs {@code script} inside with {@code sh -c} as {@code user}, in the user's home. */
  public Exit shAs(String user, String script) throws IOException {
    return exec(COMMAND, List.of("runuser", "-l", user, "-c", script));
  }

  /** The file the container sees at {@code path}, seen from the host (not for its tmpfs mounts). */
  public Path path(String path) {
    if (!path.startsWith("/") || path.startsWith("/run/") || path.startsWith("/tmp/")) {
      throw new IllegalArgumentException(path + ": an absolute path on the container's root file"
          + " system is needed (/run and /tmp are its own tmpfs)");
    }
    return root.resolve(path.substring(1));
  }

  private Exit exec(Duration timeout, List<String> command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(init), "-a"));
    cmd.addAll(ENV);
    cmd.addAll(command);
    Process p = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    try {
      byte[][] streams = new byte[2][];
      Thread err = new Thread(() -> streams[1] = readQuietly(p.getErrorStream()));
      err.start();
      streams[0] = readQuietly(p.getInputStream());
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s in the container: "
            + command);
      }
      err.join();
      return new Exit(p.exitValue(), new String(streams[0], UTF_8), new String(streams[1], UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while running " + command + " in the container", e);
    }
  }

  private static byte[] readQuietly(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static void check(Exit e, String what) {
    if (e.code() != 0) {
      throw new AssertionError(what + ": exit " + e.code() + "\n" + e.stdout() + e.stderr());
    }
  }

  /**
   * Ends the container: SIGKILL to its init ends every process of its PID namespace (QEMU
   * included) at once; then the overlay goes.
   */
  @Override
  public void close() throws IOException {
    stop(nspawn, init);
    unmount(dir, root);
  }

  private static void stop(Process nspawn, long init) {
    if (init > 0) {
      ProcessHandle.of(init).ifPresent(ProcessHandle::destroyForcibly);
    }
    try {
      if (!nspawn.waitFor(60, TimeUnit.SECONDS)) {
        nspawn.destroyForcibly();
        nspawn.waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void unmount(Path dir, Path root) throws IOException {
    Exit umount = RealUsers.attemptAsRoot("umount", root.toString());
    if (umount.code() != 0 && RealUsers.attemptAsRoot("mountpoint", "-q", root.toString()).code() == 0) {
      // Never delete through a mounted overlay; leave it for a human to look at.
      throw new AssertionError("cannot unmount " + root + ": " + umount.stderr().strip());
    }
    RealUsers.root("rm", "-rf", "--one-file-system", dir.toString());
  }
}
