package org.wirt.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.posix.NotifyReceiver;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.Exit;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;

/**
 * The Debian package, installed for real: {@code dpkg -i target/wirt_<version>_all.deb}, its files
 * in place, its systemd unit verified, the installed {@code wirtd}, {@code wirtctl} and {@code
 * wirt} serving a real user and a real QEMU guest, then {@code dpkg -r} (the configuration stays)
 * and {@code dpkg -P} (nothing stays). Runs after {@code package} (failsafe, tag {@code package}),
 * because the .deb is made there. systemd does not run on the build machine, so wirtd runs as a
 * plain process, under the capability bounding set of the installed unit and with no new
 * privileges.
 */
@Tag("e2e")
@Tag("package")
class PackageTest {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final Path BASEDIR = Path.of(System.getProperty("wirt.basedir", "."));
  private static final Path DEB = Path.of(System.getProperty("wirt.deb",
      "target/wirt_0.1.0_all.deb"));
  private static final Path UNIT = Path.of("/lib/systemd/system/wirtd.service");
  /** What {@code dpkg -P wirt} removes although dpkg did not install it. */
  private static final List<Path> PURGED = List.of(
      Path.of("/etc/wirt"), Path.of("/var/lib/wirt"), Path.of("/var/log/wirt"));
  private static final List<String> GROUPS = List.of("vmguests", "wirtadm");

  @Test
  void theSudoRuleParses() throws Exception {
    Exit check = RealUsers.attemptAsRoot("visudo", "-cf", BASEDIR.resolve("sudoers.d/wirt").toString());
    assertEquals(0, check.code(), check.toString());
    assertEquals("%wirtadm ALL = (root) NOPASSWD: /usr/sbin/wirtctl",
        Files.readAllLines(BASEDIR.resolve("sudoers.d/wirt")).stream()
            .filter(l -> !l.isBlank() && !l.startsWith("#")).collect(Collectors.joining("\n")),
        "one rule: wirtctl, as root, for the admin group, and nothing else");
  }

  @Test
  void installsServesARealUserAndPurgesWithoutATrace() throws Exception {
    RealUsers.requireRoot();
    assertTrue(Files.isRegularFile(DEB), DEB + " missing; `mvn package` builds it");
    requireClean();
    List<String> groupsBefore = GROUPS.stream().filter(PackageTest::groupExists).toList();
    List<Path> packaged = packagedFiles();
    try {
      install();
      assertInstalled(packaged);
      serveARealUser();
      remove(packaged);
    } finally {
      RealUsers.attemptAsRoot("dpkg", "-P", "wirt");
      for (String group : GROUPS) {
        if (!groupsBefore.contains(group) && groupExists(group)) {
          RealUsers.root("groupdel", group);
        }
      }
    }
  }

  private static void install() throws IOException {
    Exit dpkg = RealUsers.attemptAsRoot("dpkg", "-i", DEB.toString());
    if (dpkg.code() != 0) {
      // Missing dependencies: dpkg leaves the package unconfigured; apt completes it.
      Exit apt = RealUsers.attemptAsRoot("env", "DEBIAN_FRONTEND=noninteractive",
          "apt-get", "install", "-f", "-y", "-q");
      assertEquals(0, apt.code(), "dpkg -i: " + dpkg + "\napt-get install -f: " + apt);
    }
    assertEquals("install ok installed", packageStatus());
  }

  private static void assertInstalled(List<Path> packaged) throws IOException {
    for (Path p : packaged) {
      assertTrue(Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS), p + " not installed");
      assertEquals(0, (int) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS), p + " owner");
    }
    assertMode(0440, "/etc/sudoers.d/wirt");
    assertEquals(0, (int) Files.getAttribute(Path.of("/etc/sudoers.d/wirt"), "unix:gid"));
    for (String wrapper : List.of("/usr/sbin/wirtd", "/usr/sbin/wirtctl", "/usr/bin/wirt")) {
      assertMode(0755, wrapper);
    }
    for (String page : List.of("/usr/share/man/man1/wirt.1.gz", "/usr/share/man/man8/wirtd.8.gz",
        "/usr/share/man/man8/wirtctl.8.gz")) {
      assertMode(0644, page);
    }
    for (String script : List.of("/usr/share/bash-completion/completions/wirt",
        "/usr/share/bash-completion/completions/wirtctl")) {
      Exit syntax = RealUsers.attemptAsRoot("bash", "-n", script);
      assertEquals(0, syntax.code(), syntax.toString());
    }
    for (String doc : List.of("/usr/share/wirt/wirt.jar", "/lib/systemd/system/wirtd.service",
        "/usr/share/doc/wirt/copyright", "/usr/share/doc/wirt/README.md",
        "/usr/share/doc/wirt/examples/wirt.json", "/usr/share/doc/wirt/examples/create.json",
        "/usr/share/doc/wirt/examples/images/debian-12.json")) {
      assertMode(0644, doc);
    }
    assertEquals(Files.readString(BASEDIR.resolve("examples/wirt.json")),
        Files.readString(Path.of("/etc/wirt/wirt.json")));
    assertEquals("/etc/sudoers.d/wirt\n/etc/wirt/wirt.json",
        RealUsers.root("dpkg-query", "--control-show", "wirt", "conffiles").stdout().lines()
            .map(l -> l.split(" ")[0]).sorted().collect(Collectors.joining("\n")));
    Exit sudoers = RealUsers.attemptAsRoot("visudo", "-c");
    assertEquals(0, sudoers.code(), "the installed rule breaks sudo: " + sudoers);

    // postinst: the groups, and wirtd's own directories for root alone.
    for (String group : GROUPS) {
      assertTrue(groupExists(group), "postinst did not create group " + group);
    }
    assertMode(0700, "/var/lib/wirt");
    assertMode(0700, "/var/log/wirt");

    Exit verify = RealUsers.attemptAsRoot("systemd-analyze", "verify", UNIT.toString());
    assertEquals(0, verify.code(), verify.toString());
    assertFalse((verify.stdout() + verify.stderr()).contains("wirtd.service"), verify.toString());
  }

  private static void serveARealUser() throws Exception {
    Path dir = Files.createTempDirectory("wirt-package");
    List<UUID> domains = new ArrayList<>();
    Process daemon = null;
    Path out = dir.resolve("wirtd.out");
    try (RealUsers users = RealUsers.create();
        LibvirtHypervisor libvirt = Libvirtd.connect();
        NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify.sock"))) {
      try {
        String group = users.createGroup();
        User alice = users.createUser(group);
        users.run(alice, "mkdir", alice.home().resolve("wirt").toString());
        String domain = "wirt-pkg-" + alice.name();
        domains.add(libvirt.define(TestGuest.domainXml(domain)));
        Path config = dir.resolve("wirt.json");
        Files.writeString(config, """
            {"group": "%s", "libvirtUri": "qemu:///system", "stateDir": "%s", "logDir": "%s",
             "sweepIntervalSeconds": 2, "mail": {"enabled": false}}
            """.formatted(group, dir.resolve("state"), dir.resolve("log")));

        List<String> command = new ArrayList<>(List.of("setpriv", "--bounding-set",
            unitBoundingSet(), "--no-new-privs", "/usr/sbin/wirtd", "--config", config.toString()));
        ProcessBuilder wirtd = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(out.toFile());
        wirtd.environment().put("NOTIFY_SOCKET", systemd.path().toString());
        daemon = wirtd.start();
        Process running = daemon;
        await("wirtd started", running, out, () -> read(out).contains("wirtd started"));
        assertEquals(Optional.of("READY=1\nSTATUS=serving 1 users"), systemd.receive(60_000),
            read(out));
        assertTrue(ProcessHandle.of(daemon.pid()).flatMap(h -> h.info().command())
                .orElse("").endsWith("/java"),
            "the wrapper execs the JVM, so systemd's main process (NotifyAccess=main) is wirtd");

        Exit assign = RealUsers.attemptAsRoot("/usr/sbin/wirtctl", "--config", config.toString(),
            "assign", domain, alice.name(), "web");
        assertEquals(0, assign.code(), assign.toString());
        assertEquals("assigned " + domain + " to " + alice.name() + " (uid " + alice.uid()
            + ") as VM 'web': ~" + alice.name() + "/wirt/command/vm/web/\n", withoutLog(assign.stdout()));
        Path vmDir = alice.home().resolve("wirt/command/vm/web");
        await("web in " + alice.name() + "'s tree", running, out, () -> Files.isDirectory(vmDir));

        // The user's own wirt, with the installed /etc/wirt/wirt.json (treeDir).
        Exit start = users.attempt(alice, "/usr/bin/wirt", "start", "web");
        assertEquals(0, start.code(), start + "\n--- wirtd ---\n" + read(out));
        assertEquals("started " + domain + "\n", start.stdout());
        Exit list = users.attempt(alice, "/usr/bin/wirt", "list");
        assertEquals(0, list.code(), list.toString());
        assertTrue(list.stdout().matches("(?s)VM +STATE .*\nweb +running +1 +128 MiB .*"),
            list.stdout());

        Exit status = RealUsers.attemptAsRoot("/usr/sbin/wirtctl", "--config", config.toString(),
            "status");
        assertEquals(0, status.code(), status.toString());
        String shown = withoutLog(status.stdout());
        assertTrue(shown.startsWith("wirtd:      running (pid " + daemon.pid() + ", since "), shown);
        assertTrue(shown.contains("libvirt:    qemu:///system connected\n"), shown);
        assertTrue(shown.contains("users:      1 served"), shown);

        daemon.destroy();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "wirtd stops on SIGTERM");
        assertEquals(143, daemon.exitValue(), "the unit's SuccessExitStatus=143");
        assertTrue(read(out).contains("wirtd stopped"), read(out));
      } finally {
        if (daemon != null && daemon.isAlive()) {
          daemon.destroy();
          if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
            daemon.destroyForcibly();
          }
        }
        for (UUID uuid : domains) {
          try {
            libvirt.destroy(uuid);
          } catch (Exception e) {
            // already off
          }
          libvirt.undefine(uuid);
        }
      }
    } finally {
      RealUsers.root("rm", "-rf", dir.toString());
    }
  }

  private static void remove(List<Path> packaged) throws IOException {
    RealUsers.root("dpkg", "-r", "wirt");
    assertEquals("deinstall ok config-files", packageStatus());
    assertTrue(Files.exists(Path.of("/etc/wirt/wirt.json")), "dpkg -r keeps the configuration");
    assertFalse(Files.exists(Path.of("/usr/sbin/wirtd")));

    RealUsers.root("dpkg", "-P", "wirt");
    assertEquals("", packageStatus(), "dpkg -P forgets the package");
    for (Path p : packaged) {
      assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " left after dpkg -P");
    }
    for (Path p : PURGED) {
      assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " left after dpkg -P");
    }
    for (String dir : List.of("/usr/share/wirt", "/usr/share/doc/wirt")) {
      assertFalse(Files.exists(Path.of(dir)), dir + " left after dpkg -P");
    }
    for (String group : GROUPS) {
      assertTrue(groupExists(group), "the package keeps group " + group + " (see postrm)");
    }
  }

  /** Refuses to run where the package's install and purge would change what is not the test's. */
  private static void requireClean() throws IOException {
    assertEquals("", packageStatus(), "the wirt package is installed here; PackageTest installs and"
        + " purges it, so remove it first (dpkg -P wirt)");
    for (Path p : PURGED) {
      assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " exists; PackageTest purges the"
          + " package, which would delete it: move it away first");
    }
  }

  /** The regular files in the .deb, as installed paths. */
  private static List<Path> packagedFiles() throws IOException {
    return RealUsers.root("dpkg-deb", "--contents", DEB.toString()).stdout().lines()
        .filter(l -> l.startsWith("-"))
        .map(l -> Path.of(l.substring(l.indexOf("./") + 1)))
        .toList();
  }

  /** {@code CapabilityBoundingSet=CAP_SETUID CAP_SETGID} as setpriv's {@code -all,+setuid,+setgid}. */
  private static String unitBoundingSet() throws IOException {
    List<String> caps = Files.readAllLines(UNIT).stream()
        .filter(l -> l.startsWith("CapabilityBoundingSet="))
        .flatMap(l -> List.of(l.substring(l.indexOf('=') + 1).trim().split("\\s+")).stream())
        .toList();
    assertFalse(caps.isEmpty(), "no CapabilityBoundingSet= in " + UNIT);
    return "-all," + caps.stream()
        .map(c -> "+" + c.toLowerCase(Locale.ROOT).replaceFirst("^cap_", ""))
        .collect(Collectors.joining(","));
  }

  /** wirtctl's answer without its log lines (logback writes them to stdout too). */
  private static String withoutLog(String stdout) {
    return stdout.lines().filter(l -> !l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d+ (INFO|DEBUG) .*"))
        .map(l -> l + "\n").collect(Collectors.joining());
  }

  private static String packageStatus() throws IOException {
    Exit status = RealUsers.attemptAsRoot("dpkg-query", "-W", "-f=${Status}", "wirt");
    return status.code() == 0 ? status.stdout().strip() : "";
  }

  private static boolean groupExists(String group) {
    try {
      return RealUsers.attemptAsRoot("getent", "group", group).code() == 0;
    } catch (IOException e) {
      throw new AssertionError("getent group " + group + ": " + e.getMessage(), e);
    }
  }

  private static void assertMode(int mode, String path) throws IOException {
    Path p = Path.of(path);
    assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS), path + " missing");
    int actual = (int) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    assertEquals(Integer.toOctalString(mode), Integer.toOctalString(actual), path + " mode");
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void await(String what, Process daemon, Path out, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (!daemon.isAlive()) {
        throw new AssertionError("wirtd exited with " + daemon.exitValue() + " while waiting for "
            + what + "\n--- wirtd output ---\n" + read(out));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + DEADLINE.toSeconds() + " s waiting for "
            + what + "\n--- wirtd output ---\n" + read(out));
      }
      Thread.sleep(5);
    }
  }
}
