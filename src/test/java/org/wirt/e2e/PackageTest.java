package org.wirt.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.Main;
import org.wirt.cli.ExitCode;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.posix.NotifyReceiver;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.Exit;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;
import org.wirt.testing.WirtdProcess;

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
  private static final List<Path> PURGED = List.of(Path.of("/etc/wirt"), Path.of("/var/lib/wirt"),
      Path.of("/var/log/wirt"), Path.of("/run/wirt"), Path.of("/var/cache/wirt"),
      Path.of("/var/cache/wirt-cli"));
  /** The class-data sharing archive postinst makes for wirt and wirtctl (README "Start-up"). */
  private static final Path CDS_ARCHIVE = Path.of("/var/cache/wirt-cli/cli.jsa");
  /** Where deb-systemd-helper records that the unit is enabled or masked. */
  private static final List<Path> SYSTEMD_STATE = List.of(Path.of("/etc/systemd/system"),
      Path.of("/var/lib/systemd/deb-systemd-helper-enabled"),
      Path.of("/var/lib/systemd/deb-systemd-helper-masked"));
  private static final Path WANTS = Path.of("/etc/systemd/system/multi-user.target.wants/wirtd.service");
  private static final List<String> GROUPS = List.of("vmguests", "wirtadm");
  /** postinst makes it if missing; purge removes it only when empty. */
  private static final Path IMAGES_DIR = Path.of("/var/lib/libvirt/wirt");
  private static boolean imagesDirBefore;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theSudoRuleParses() throws Exception {
    Exit check = RealUsers.attemptAsRoot("visudo", "-cf", BASEDIR.resolve("sudoers.d/wirt").toString());
    assertEquals(0, check.code(), check.toString());
    assertEquals("%wirtadm ALL = (root) NOPASSWD: /usr/sbin/wirtctl",
        Files.readAllLines(BASEDIR.resolve("sudoers.d/wirt")).stream()
            .filter(l -> !l.isBlank() && !l.startsWith("#")).collect(Collectors.joining("\n")),
        "one rule: wirtctl, as root, for the admin group, and nothing else");
  }

  /**
   * The hand-written man pages stay true to the programs: each names every command and every
   * long option that {@code --help} shows, and groff renders it without a warning.
   */
  @Test
  void theManPagesNameEveryCommandAndOptionOfTheHelp() throws Exception {
    for (String page : List.of("wirt.1", "wirtd.8", "wirtctl.8")) {
      String program = page.substring(0, page.indexOf('.'));
      // One line per paragraph (no breaks, no hyphenation), ASCII, no bold or underline.
      Exit render = RealUsers.attemptAsRoot("groff", "-man", "-Tascii", "-P-cbou", "-ww",
          "-rLL=1000n", "-rHY=0", BASEDIR.resolve("packaging/man").resolve(page).toString());
      assertEquals(0, render.code(), render.toString());
      assertEquals("", render.stderr(), page + ": groff warns");
      String man = render.stdout();
      String help = help(program);
      Set<String> options = new TreeSet<>(longOptions(help));
      for (String command : commands(help)) {
        assertTrue(Pattern.compile("(?m)^ {7}" + Pattern.quote(command) + "( |$)").matcher(man)
            .find(), page + " has no entry for `" + program + " " + command + "`");
        options.addAll(longOptions(help(program, command)));
      }
      for (String option : options) {
        assertTrue(man.contains(option), page + " does not mention " + option
            + ", which `" + program + " --help` shows");
      }
    }
  }

  @Test
  void installsServesARealUserAndPurgesWithoutATrace() throws Exception {
    RealUsers.requireRoot();
    assertTrue(Files.isRegularFile(DEB), DEB + " missing; `mvn package` builds it");
    requireClean();
    List<String> groupsBefore = GROUPS.stream().filter(PackageTest::groupExists).toList();
    imagesDirBefore = Files.exists(IMAGES_DIR, LinkOption.NOFOLLOW_LINKS);
    List<Path> packaged = packagedFiles();
    try {
      install();
      assertInstalled(packaged);
      serveARealUser();
      removeAndPurge(packaged);
    } finally {
      RealUsers.attemptAsRoot("dpkg", "-P", "wirt");
      // requireClean() saw no /var/lib/wirt: what is left there (VM images kept) is the test's.
      RealUsers.attemptAsRoot("rm", "-rf", "/var/lib/wirt");
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
    for (String wrapper : List.of("/usr/sbin/wirtd", "/usr/sbin/wirtctl", "/usr/bin/wirt",
        "/usr/lib/wirt/update-cds-archive")) {
      assertMode(0755, wrapper);
    }
    assertMode(0644, "/usr/lib/wirt/cli.sh");
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
    // The unit's ReadWritePaths= for the default image directories, which QEMU walks through.
    assertMode(0755, "/var/lib/libvirt/wirt");
    // The start-up archive: root's, in a directory only root writes (an archive is code run by
    // every user of wirt), readable by all; and the wrappers' JVM maps it (-Xshare:on fails if not).
    assertMode(0755, CDS_ARCHIVE.getParent().toString());
    assertMode(0644, CDS_ARCHIVE.toString());
    for (Path p : List.of(CDS_ARCHIVE, CDS_ARCHIVE.getParent())) {
      assertEquals(0, (int) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS), p + " owner");
      assertEquals(0, (int) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS), p + " group");
    }
    Exit mapped = RealUsers.attemptAsRoot("sh", "-c", ". /usr/lib/wirt/cli.sh && wirt_cli_setup"
        + " /usr/share/wirt/wirt.jar " + CDS_ARCHIVE + " && exec \"$wirt_java\" $wirt_opts"
        + " -Xshare:on -jar /usr/share/wirt/wirt.jar wirt --version");
    assertEquals(new Exit(0, "wirt 0.1.0\n", ""), mapped);
    Exit options = RealUsers.attemptAsRoot("sh", "-c", ". /usr/lib/wirt/cli.sh && wirt_cli_setup"
        + " /usr/share/wirt/wirt.jar " + CDS_ARCHIVE + " && echo $wirt_opts");
    assertTrue(options.stdout().contains("-XX:SharedArchiveFile=" + CDS_ARCHIVE), options.toString());
    // A Java runtime installed or upgraded: the trigger makes the archive again.
    RealUsers.root("rm", CDS_ARCHIVE.toString());
    RealUsers.root("dpkg-trigger", "--no-await", "/usr/lib/jvm");
    RealUsers.root("dpkg", "--triggers-only", "wirt");
    assertTrue(Files.isRegularFile(CDS_ARCHIVE), "the /usr/lib/jvm trigger did not make "
        + CDS_ARCHIVE + " again");

    Exit verify = RealUsers.attemptAsRoot("systemd-analyze", "verify", UNIT.toString());
    assertEquals(0, verify.code(), verify.toString());
    assertFalse((verify.stdout() + verify.stderr()).contains("wirtd.service"), verify.toString());
    // deb-systemd-helper enables it for the next boot even where systemd does not run now.
    assertEquals(UNIT, Files.readSymbolicLink(WANTS), "postinst enables wirtd.service");
  }

  /**
   * Runs the installed wirtd as its unit would, as far as that works without systemd: the unit's
   * capability bounding set, no new privileges, its umask, a private 0700 cache directory for JNA
   * (the unit's CacheDirectory=), $NOTIFY_SOCKET; and under strace, to check every system call it
   * makes against the unit's SystemCallFilter=, which only systemd could enforce.
   */
  private static void serveARealUser() throws Exception {
    Path dir = Files.createTempDirectory("wirt-package");
    List<UUID> domains = new ArrayList<>();
    WirtdProcess daemon = null;
    Path out = dir.resolve("wirtd.out");
    Path syscalls = dir.resolve("syscalls");
    // sudo makes /run/sudo/ts on first use; it goes again if it was not here before.
    boolean sudoRunDir = Files.exists(Path.of("/run/sudo"));
    String installedConfig = null;
    try (RealUsers users = RealUsers.create();
        LibvirtHypervisor libvirt = Libvirtd.connect();
        NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify.sock"))) {
      try {
        String group = users.createGroup();
        User alice = users.createUser(group);
        users.run(alice, "mkdir", alice.home().resolve("wirt").toString());
        String domain = "wirt-pkg-" + alice.name();
        domains.add(libvirt.define(TestGuest.domainXml(domain)));
        // The installed configuration, which wirtctl through sudo reads and nothing else.
        Path config = Path.of("/etc/wirt/wirt.json");
        installedConfig = Files.readString(config);
        Files.writeString(config, """
            {"group": "%s", "libvirtUri": "qemu:///system", "stateDir": "%s", "logDir": "%s",
             "sweepIntervalSeconds": 2, "mail": {"enabled": false}}
            """.formatted(group, dir.resolve("state"), dir.resolve("log")));
        Path cache = Files.createDirectory(dir.resolve("cache"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));

        ProcessBuilder wirtd = new ProcessBuilder("sh", "-c", "umask " + unitValue("UMask")
                + " && exec \"$@\"", "sh",
            "setpriv", "--bounding-set", unitBoundingSet(), "--no-new-privs",
            "strace", "-f", "-qq", "-e", "signal=none", "-o", syscalls.toString(),
            "/usr/sbin/wirtd", "--config", config.toString())
            .redirectErrorStream(true).redirectOutput(out.toFile());
        wirtd.environment().put("NOTIFY_SOCKET", systemd.path().toString());
        wirtd.environment().put("XDG_CACHE_HOME", cache.toString());
        daemon = WirtdProcess.start(wirtd, out);
        WirtdProcess running = daemon;
        running.awaitStarted(DEADLINE);
        assertEquals(Optional.of("READY=1\nSTATUS=serving 1 users"), systemd.receive(60_000),
            read(out));
        // sh, setpriv and strace exec; strace forks the wrapper, which execs the JVM: so the JVM
        // is the wrapper's process, which under systemd is the main process (NotifyAccess=main).
        List<ProcessHandle> children = daemon.process().children().toList();
        assertEquals(1, children.size(), children.toString());
        ProcessHandle jvm = children.get(0);
        assertTrue(jvm.info().command().orElse("").endsWith("/java"),
            "the wrapper execs the JVM: " + jvm.info());

        Exit assign = RealUsers.attemptAsRoot("/usr/sbin/wirtctl", "--config", config.toString(),
            "assign", domain, alice.name(), "web");
        assertEquals(0, assign.code(), assign.toString());
        assertEquals("assigned " + domain + " to " + alice.name() + " (uid " + alice.uid()
            + ") as VM 'web': ~" + alice.name() + "/wirt/command/vm/web/\n", withoutLog(assign.stdout()));
        Path vmDir = alice.home().resolve("wirt/command/vm/web");
        running.await("web in " + alice.name() + "'s tree", DEADLINE, () -> Files.isDirectory(vmDir));

        // The installed bash completion, as the user: subcommands, and VM names from the tree.
        assertEquals(List.of("list", "status", "top", "start", "stop", "destroy", "reboot", "reset",
            "suspend", "resume", "autostart", "log", "history", "quota", "create", "delete", "config",
            "snapshot", "revert", "snapshot-delete", "consolidate", "console", "ssh", "domain"),
            complete(users, alice, "wirt "));
        assertEquals(List.of("list", "publish", "withdraw"),
            complete(users, alice, "wirt domain "));
        assertEquals(List.of("web"), complete(users, alice, "wirt start "));
        assertEquals(List.of("on", "off"), complete(users, alice, "wirt autostart web "));
        assertEquals(List.of("status", "users", "queue", "reload", "drain", "assign", "unassign",
            "image", "migrate-tree"), complete(users, alice, "wirtctl "));
        assertEquals(List.of("import", "list", "remove"), complete(users, alice, "wirtctl image "));

        // The file way: nothing but a file, written by the user.
        users.run(alice, "touch", vmDir.resolve("start").toString());
        Path status = alice.home().resolve("wirt/info/vm/web/status.json");
        running.await("status.json says running", DEADLINE, () -> "running".equals(state(status)));
        assertEquals(domain, JSON.readTree(status.toFile()).path("domain").asText());

        // The user's own wirt, with the installed /etc/wirt/wirt.json (treeDir).
        Exit list = users.attempt(alice, "/usr/bin/wirt", "list");
        assertEquals(0, list.code(), list.toString());
        assertTrue(list.stdout().matches("(?s)VM +STATE .*\nweb +running +1 +128 MiB .*"),
            list.stdout());
        Exit destroy = users.attempt(alice, "/usr/bin/wirt", "destroy", "web");
        assertEquals(0, destroy.code(), destroy + "\n--- wirtd ---\n" + read(out));
        assertEquals("powered off " + domain + "\n", destroy.stdout());
        running.await("status.json says shutoff", DEADLINE, () -> "shutoff".equals(state(status)));
        Exit start = users.attempt(alice, "/usr/bin/wirt", "start", "web");
        assertEquals(0, start.code(), start + "\n--- wirtd ---\n" + read(out));
        assertEquals("started " + domain + "\n", start.stdout());
        Exit again = users.attempt(alice, "/usr/bin/wirt", "list");
        assertTrue(again.stdout().matches("(?s)VM +STATE .*\nweb +running +1 +128 MiB .*"),
            again.toString());
        // Without the start-up archive (or with a broken one) wirt is slower, not different.
        for (String broken : List.of("missing", "not an archive")) {
          RealUsers.root("rm", "-f", CDS_ARCHIVE.toString());
          if (!broken.equals("missing")) {
            Files.writeString(CDS_ARCHIVE, broken);
            Files.setLastModifiedTime(CDS_ARCHIVE, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().plusSeconds(5)));
          }
          Exit without = users.attempt(alice, "/usr/bin/wirt", "list");
          assertEquals(0, without.code(), broken + ": " + without);
          assertEquals("", without.stderr(), broken + ": " + without);
          assertTrue(without.stdout().matches("(?s)VM +STATE .*\nweb +running +1 +128 MiB .*"),
              broken + ": " + without);
        }
        RealUsers.root("/usr/lib/wirt/update-cds-archive");

        // An admin: a member of wirtadm runs wirtctl through the installed sudo rule, and nothing
        // else; a user who is not one cannot.
        User bob = users.createUser("wirtadm");
        Exit shown = sudo(users, bob, "wirtctl", "status");
        assertEquals(0, shown.code(), shown.toString());
        Exit other = sudo(users, bob, "/usr/bin/id");
        assertEquals(1, other.code(), "sudo lets a member of wirtadm run more than wirtctl: " + other);
        Exit notAdmin = sudo(users, alice, "wirtctl", "status");
        assertEquals(1, notAdmin.code(), "sudo lets a user who is not in wirtadm run wirtctl: "
            + notAdmin);
        String text = withoutLog(shown.stdout());
        assertTrue(text.startsWith("wirtd:      running (pid " + jvm.pid() + ", since "), text);
        assertTrue(text.contains("libvirt:    qemu:///system connected\n"), text);
        assertTrue(text.contains("users:      1 served"), text);
        adminCannotBecomeRoot(users, bob, dir);

        jvm.destroy();
        assertTrue(daemon.process().waitFor(60, TimeUnit.SECONDS), "wirtd stops on SIGTERM");
        assertEquals(143, daemon.process().exitValue(), "the unit's SuccessExitStatus=143\n" + read(out));
        assertTrue(read(out).contains("wirtd stopped"), read(out));

        Set<String> allowed = unitSystemCalls();
        Set<String> made = madeSystemCalls(syscalls);
        assertTrue(made.containsAll(Set.of("setfsuid", "setfsgid", "setgroups", "inotify_add_watch")),
            "strace saw wirtd switch identities and watch: " + made);
        assertEquals(Set.of(), made.stream().filter(c -> !allowed.contains(c))
                .collect(Collectors.toCollection(TreeSet::new)),
            "system calls wirtd made that the unit's SystemCallFilter= refuses (with EPERM)");
      } finally {
        if (daemon != null) {
          daemon.close();
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
      if (installedConfig != null) {
        Files.writeString(Path.of("/etc/wirt/wirt.json"), installedConfig);
      }
      RealUsers.root("rm", "-rf", dir.toString());
      if (!sudoRunDir) {
        RealUsers.root("rm", "-rf", "/run/sudo");
      }
    }
  }

  /**
   * A member of wirtadm, through the installed sudo rule, tries to become root or read what only
   * root may (SPEC 8): a configuration of theirs whose libvirtUri runs their program, an import
   * of /etc/shadow, libvirt variables in the environment. Each is refused and leaves no trace.
   */
  private static void adminCannotBecomeRoot(RealUsers users, User bob, Path dir) throws Exception {
    Path marker = bob.home().resolve("root-was-here");
    Path program = bob.home().resolve("x");
    users.sh(bob, "printf '#!/bin/sh\\nid -u > " + marker + "\\n' > " + program
        + " && chmod 755 " + program);
    Path evil = bob.home().resolve("evil.json");
    String uri = "qemu+ext:///system?command=" + program;
    users.sh(bob, "printf '{\"libvirtUri\": \"" + uri + "\"}' > " + evil);
    // The attack is real: libvirt runs the program of an ext URI (as bob here, not as root).
    users.attempt(bob, "virsh", "-c", uri, "list");
    assertTrue(Files.exists(marker), "libvirt did not run " + program + " for " + uri);
    RealUsers.root("rm", "-f", marker.toString());

    Exit listed = sudo(users, bob, "wirtctl", "--config", evil.toString(), "image", "list");
    assertFalse(Files.exists(marker), "root ran " + program + ": " + listed);
    assertEquals(3, listed.code(), listed.toString());
    Exit named = sudo(users, bob, "wirtctl", "--config", evil.toString(), "status");
    assertEquals(3, named.code(), named.toString());
    assertEquals("wirtctl: --config " + evil + " is refused: run through sudo (or by anyone but "
        + "root), wirtctl reads only /etc/wirt/wirt.json, which root owns; run it as root itself "
        + "to use another file\n", withoutLog(named.stderr()));
    assertFalse(Files.exists(marker), "root ran " + program);

    Exit stolen = sudo(users, bob, "wirtctl", "image", "import", "stolen", "/etc/shadow");
    assertEquals(1, stolen.code(), stolen.toString());
    assertEquals("wirtctl image: /etc/shadow cannot be read by " + bob.name() + " (uid " + bob.uid()
        + ", open /etc/shadow: EACCES (Permission denied)); wirtctl reads the files you name with "
        + "your own identity, not root's: give a file you can read\n", withoutLog(stolen.stderr()));
    Path pool = Path.of("/var/lib/libvirt/wirt/images");
    if (Files.isDirectory(pool)) {
      try (Stream<Path> files = Files.list(pool)) {
        assertEquals(List.of(), files.filter(f -> f.getFileName().toString().contains("stolen"))
            .toList());
      }
    }

    // sudo refuses to set a variable; wirtctl does not rely on that.
    Exit env = sudo(users, bob, "LIBVIRT_DEFAULT_URI=" + uri, "wirtctl", "image", "list");
    assertEquals(1, env.code(), env.toString());
    assertTrue(env.stderr().contains("not allowed to set the following environment variables"),
        env.toString());
    assertFalse(Files.exists(marker), "root ran " + program);

    // What sudo and the wrapper would clear, given to the jar as if through sudo: libvirt's
    // variables are cleared before libvirt reads them (LIBVIRT_LOG_OUTPUTS makes it write a file).
    Path log = dir.resolve("libvirt-log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> jar = List.of(java, "-jar", "/usr/share/wirt/wirt.jar", "wirtctl", "image", "list");
    List<String> variables = List.of("LIBVIRT_DEFAULT_URI=" + uri,
        "LIBVIRT_LOG_OUTPUTS=1:file:" + log, "XDG_CACHE_HOME=" + bob.home());
    List<String> asBob = new ArrayList<>(List.of("env", "SUDO_UID=" + bob.uid(),
        "SUDO_GID=" + bob.gid(), "SUDO_USER=" + bob.name()));
    asBob.addAll(variables);
    asBob.addAll(jar);
    Exit scrubbed = RealUsers.attemptAsRoot(asBob.toArray(String[]::new));
    assertEquals(0, scrubbed.code(), scrubbed.toString());
    assertFalse(Files.exists(log), "libvirt read LIBVIRT_LOG_OUTPUTS from the caller");
    try (Stream<Path> files = Files.list(bob.home())) {
      assertEquals(List.of(), files.filter(f -> f.getFileName().toString().equals("JNA")).toList(),
          "JNA unpacked its library as root into $XDG_CACHE_HOME");
    }
    assertFalse(Files.exists(marker), "root ran " + program);
    // The same variables for root itself reach libvirt: the check above is not vacuous.
    List<String> asRoot = new ArrayList<>(List.of("env", "-u", "SUDO_UID", "-u", "SUDO_GID"));
    asRoot.addAll(variables.subList(1, 2));
    asRoot.addAll(jar);
    Exit root = RealUsers.attemptAsRoot(asRoot.toArray(String[]::new));
    assertEquals(0, root.code(), root.toString());
    assertTrue(Files.exists(log), "libvirt ignores LIBVIRT_LOG_OUTPUTS: " + root);

    // Code loaded before wirtctl's first line is refused; the installed wrapper clears it.
    List<String> agent = new ArrayList<>(List.of("env", "SUDO_UID=" + bob.uid(),
        "JAVA_TOOL_OPTIONS=-Dwirt.agent=1"));
    agent.addAll(List.of(java, "-jar", "/usr/share/wirt/wirt.jar", "wirtctl", "status"));
    Exit loaded = RealUsers.attemptAsRoot(agent.toArray(String[]::new));
    assertEquals(2, loaded.code(), loaded.toString());
    assertTrue(loaded.stderr().contains("wirtctl: JAVA_TOOL_OPTIONS is set: run through sudo, "
        + "wirtctl takes no loader or Java settings from its caller"), loaded.toString());
    Exit wrapped = RealUsers.attemptAsRoot("env", "SUDO_UID=" + bob.uid(),
        "JAVA_TOOL_OPTIONS=-javaagent:" + bob.home().resolve("agent.jar"), "/usr/sbin/wirtctl",
        "status");
    assertEquals(0, wrapped.code(), wrapped.toString());
  }

  /**
   * {@code dpkg -r} keeps the configuration; {@code dpkg -P} then removes everything but VM
   * disks; installed again and purged at once, nothing stays.
   */
  private static void removeAndPurge(List<Path> packaged) throws IOException {
    RealUsers.root("dpkg", "-r", "wirt");
    assertEquals("deinstall ok config-files", packageStatus());
    assertTrue(Files.exists(Path.of("/etc/wirt/wirt.json")), "dpkg -r keeps the configuration");
    assertFalse(Files.exists(Path.of("/usr/sbin/wirtd")));
    assertFalse(Files.exists(CDS_ARCHIVE.getParent()), "dpkg -r removes the start-up archive");

    // A golden image and wirtd's own files; an empty directory for VM disks.
    Path state = Path.of("/var/lib/wirt");
    Path golden = state.resolve("images/debian-12.qcow2");
    Files.createDirectories(golden.getParent());
    Files.writeString(golden, "a golden image");
    Files.createDirectories(state.resolve("vms"));
    Files.writeString(state.resolve("journal.log"), "");
    Files.writeString(state.resolve(".hidden"), "");
    RealUsers.Result purge = RealUsers.root("dpkg", "-P", "wirt");
    try (Stream<Path> left = Files.list(state)) {
      assertEquals(List.of(state.resolve("images")), left.toList(), "dpkg -P keeps only VM disks");
    }
    assertEquals("a golden image", Files.readString(golden));
    assertTrue(purge.stderr().contains("kept VM images in /var/lib/wirt: images"), purge.stderr());
    RealUsers.root("rm", "-r", state.toString());
    assertPurged(packaged);

    install();
    RealUsers.root("dpkg", "-P", "wirt");
    assertPurged(packaged);
  }

  private static void assertPurged(List<Path> packaged) throws IOException {
    if (!imagesDirBefore) {
      assertFalse(Files.exists(IMAGES_DIR, LinkOption.NOFOLLOW_LINKS),
          IMAGES_DIR + " (empty) left after dpkg -P");
    }
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
    assertEquals(List.of(), systemdTraces(), "enabled or masked after dpkg -P");
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
    assertEquals(List.of(), systemdTraces(), "a wirtd.service is enabled or masked here;"
        + " PackageTest's purge would undo that: remove it first");
  }

  /** What enables or masks a wirtd.service: symlinks and deb-systemd-helper's records. */
  private static List<Path> systemdTraces() throws IOException {
    List<Path> found = new ArrayList<>();
    for (Path dir : SYSTEMD_STATE) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> walk = Files.walk(dir)) {
          walk.filter(p -> p.getFileName().toString().startsWith("wirtd.")).forEach(found::add);
        }
      }
    }
    return found;
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
    return "-all," + List.of(unitValue("CapabilityBoundingSet").split("\\s+")).stream()
        .map(c -> "+" + c.toLowerCase(Locale.ROOT).replaceFirst("^cap_", ""))
        .collect(Collectors.joining(","));
  }

  /** The value of the installed unit's only {@code key=} line. */
  private static String unitValue(String key) throws IOException {
    List<String> values = Files.readAllLines(UNIT).stream()
        .filter(l -> l.startsWith(key + "="))
        .map(l -> l.substring(key.length() + 1).trim())
        .toList();
    assertEquals(1, values.size(), "one " + key + "= line in " + UNIT + ": " + values);
    return values.get(0);
  }

  /**
   * The system calls the unit's {@code SystemCallFilter=} allows, its groups expanded with
   * {@code systemd-analyze syscall-filter}.
   */
  private static Set<String> unitSystemCalls() throws IOException {
    String filter = unitValue("SystemCallFilter");
    assertFalse(filter.startsWith("~"), "an allow list: " + filter);
    Map<String, List<String>> groups = new HashMap<>();
    List<String> members = null;
    for (String line : RealUsers.root("systemd-analyze", "syscall-filter").stdout().lines().toList()) {
      if (line.startsWith("@")) {
        members = new ArrayList<>();
        groups.put(line.strip(), members);
      } else if (members != null && !line.isBlank() && !line.strip().startsWith("#")) {
        members.add(line.strip());
      }
    }
    Set<String> allowed = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(filter.split("\\s+")));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String item = todo.pop();
      if (!item.startsWith("@")) {
        allowed.add(item);
      } else if (seen.add(item)) {
        List<String> group = groups.get(item);
        assertTrue(group != null, "systemd-analyze syscall-filter does not know " + item);
        todo.addAll(group);
      }
    }
    return allowed;
  }

  /** The names of the system calls in strace's output. */
  private static Set<String> madeSystemCalls(Path strace) throws IOException {
    Pattern call = Pattern.compile("^\\d+ +([a-z_][a-z0-9_]*)\\(");
    try (Stream<String> lines = Files.lines(strace, UTF_8)) {
      return lines.map(call::matcher).filter(Matcher::find).map(m -> m.group(1))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** {@code --help} of a program or one of its commands, as the jar prints it. */
  private static String help(String... program) {
    StringWriter out = new StringWriter();
    String[] args = Stream.concat(Stream.of(program), Stream.of("--help")).toArray(String[]::new);
    ExitCode code = Main.run(new PrintWriter(out, true), new PrintWriter(out, true), args);
    assertEquals(ExitCode.OK, code, String.join(" ", args) + ": " + out);
    return out.toString();
  }

  /** The commands listed under "Commands:" in picocli's help. */
  private static List<String> commands(String help) {
    int at = help.indexOf("\nCommands:\n");
    if (at < 0) {
      return List.of();
    }
    Matcher m = Pattern.compile("(?m)^  ([a-z][a-z-]*)(?= |$)").matcher(help.substring(at));
    List<String> commands = new ArrayList<>();
    while (m.find()) {
      commands.add(m.group(1));
    }
    return commands;
  }

  private static Set<String> longOptions(String help) {
    Matcher m = Pattern.compile("(?<![\\w-])--[a-z][a-z-]*").matcher(help);
    Set<String> options = new TreeSet<>();
    while (m.find()) {
      options.add(m.group());
    }
    return options;
  }

  /**
   * {@code sudo -n command} as {@code user}, then {@code sudo -K}, which removes the timestamp file
   * sudo leaves in /run/sudo/ts even for a refused command.
   */
  private static Exit sudo(RealUsers users, User user, String... command) throws IOException {
    List<String> args = new ArrayList<>(List.of("sh", "-c",
        "sudo -n \"$@\"; code=$?; sudo -K; exit $code", "sudo"));
    args.addAll(List.of(command));
    return users.attempt(user, args.toArray(String[]::new));
  }

  /** What bash completes for {@code line} (the cursor at its end), as {@code user}. */
  private static List<String> complete(RealUsers users, User user, String line) throws IOException {
    String program = line.split(" ")[0];
    Exit e = users.attempt(user, "bash", "-c", """
        source /usr/share/bash-completion/bash_completion
        source /usr/share/bash-completion/completions/$1
        function=$(complete -p "$1" | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')
        COMP_LINE=$2
        COMP_POINT=${#COMP_LINE}
        read -ra COMP_WORDS <<< "$COMP_LINE"
        if [[ $COMP_LINE == *' ' ]]; then COMP_WORDS+=(''); fi
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        "$function" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\\n' "${COMPREPLY[@]}"
        """, "complete", program, line);
    assertEquals(0, e.code(), "completing '" + line + "': " + e);
    return e.stdout().lines().filter(l -> !l.isEmpty()).toList();
  }

  private static String state(Path statusJson) {
    try {
      return JSON.readTree(statusJson.toFile()).path("state").asText();
    } catch (IOException e) {
      return "";
    }
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
}
