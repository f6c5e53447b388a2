package org.wirt.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.Await;
import org.wirt.testing.Container;
import org.wirt.testing.PrometheusText;
import org.wirt.testing.RealUsers.Exit;
import org.wirt.testing.RealUsers;
import org.wirt.testing.TestGuest;

/**
 * The package under a real systemd: this machine's OS booted in a container ({@link Container}),
 * the README's install section followed there word for word, and then, through {@code systemctl}
 * and {@code journalctl}: {@code Type=notify} is activating until wirtd's {@code READY=1},
 * {@code systemctl reload} applies a new quota and refuses a bad file, {@code kill -9} of the JVM
 * is restarted after {@code RestartSec} with the interrupted command recorded once, exit 3 on a
 * bad configuration does not loop, the sandbox holds in wirtd's own process (capabilities,
 * seccomp, read-only file system, no raw socket), a user's {@code create} and {@code start} work
 * inside it (qemu-img, genisoimage), and the README's {@code systemd-analyze security} score is
 * this run's.
 *
 * <p>Tagged {@code package} like {@link PackageTest}: failsafe runs both, one after the other,
 * after {@code package}. They do not meet: PackageTest installs the .deb on the host, this test
 * only in the container, whose changes stay in its own overlay (a wirt package the host might
 * have is purged inside first).
 */
@Tag("e2e")
@Tag("package")
class SystemdTest {
  private static final Path BASEDIR = Path.of(System.getProperty("wirt.basedir", "."))
      .toAbsolutePath().normalize();
  private static final Path DEB = Path.of(System.getProperty("wirt.deb",
      "target/wirt_0.1.0_all.deb"));
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONFIG = "/etc/wirt/wirt.json";
  private static final String URI = "qemu:///system";
  /** CAP_CHOWN is capability 0, CAP_SETGID 6, CAP_SETUID 7. */
  private static final String SETUID_SETGID = "00000000000000c1";

  @Test
  void lintianFindsNoErrorInThePackage() throws Exception {
    RealUsers.requireRoot();
    assertTrue(Files.isRegularFile(DEB), DEB + " missing; `mvn package` builds it");
    Exit lintian = RealUsers.attemptAsRoot("lintian", "--pedantic", "--display-info",
        "--tag-display-limit", "0", DEB.toString());
    List<String> tags = lintian.stdout().lines().filter(l -> l.matches("[EWIPX]: .*")).toList();
    assertEquals(List.of(), tags.stream().filter(t -> t.startsWith("E: ")).toList(),
        "lintian errors:\n" + lintian);
    // Each tag lintian still reports is listed, with why, in the README ("lintian").
    String readme = Files.readString(BASEDIR.resolve("README.md"), UTF_8);
    for (String tag : tags) {
      String name = tag.replaceFirst("^.: wirt: ([a-z0-9.+-]+).*", "$1");
      assertTrue(readme.contains("`" + name + "`"), "lintian reports " + tag
          + ", which README.md does not list (with why) under lintian");
    }
  }

  @Test
  void theInstalledUnitUnderARealSystemd() throws Exception {
    RealUsers.requireRoot();
    TestGuest.requireBuilt();
    Readme readme = Readme.read(BASEDIR.resolve("README.md"));
    Path dpkgStatus = Path.of("/var/lib/dpkg/status");
    FileTime dpkgBefore = Files.getLastModifiedTime(dpkgStatus);
    try (Container c = Container.boot(BASEDIR)) {
      underSystemd(c, readme);
    } catch (AssertionError e) {
      if (!Files.getLastModifiedTime(dpkgStatus).equals(dpkgBefore)) {
        // The container's lower layer is the live /: the host's packages changing under it (a
        // PackageTest of another checkout at the same time) can show through.
        throw new AssertionError(e.getMessage() + "\n(note: the host's dpkg database changed "
            + "while this test ran, see /var/log/dpkg.log; the container sees the live / beneath "
            + "its overlay)", e);
      }
      throw e;
    }
  }

  private static void underSystemd(Container c, Readme readme) throws Exception {
    Exit installed = c.run("dpkg-query", "-W", "-f=${Status}", "wirt");
    if (installed.code() == 0 && !installed.stdout().isBlank()) {
      c.ok("dpkg", "-P", "wirt");
    }
    prepareTheReadmesMachine(c);
    followTheReadmesInstall(c, readme);
    // No KVM in the container: the VMs alice makes are plain QEMU.
    editConfig(c, config -> object(config, "images").put("domainType", "qemu"));
    activeOnlyAfterReady(c);
    reloadAppliesAQuotaAndRefusesABadFile(c);
    provisionsInsideTheSandbox(c);
    writesTheMetricsTextfileInsideTheSandbox(c);
    killMinus9RestartsAndRecordsTheInterruptedCommandOnce(c);
    theSandboxHoldsInWirtdsOwnProcess(c);
    theReadmesSecurityScoreIsThisRuns(c, readme);
    aBadConfigurationStopsAtExit3WithoutLooping(c);
    assertEquals("wirt", c.ok("virsh", "-c", URI, "net-list", "--name").strip(),
        "the libvirt networks active in the container: wirt's alone");
  }

  /**
   * What the README's install section takes for given: the users alice and bob, and the domain
   * alice-web (the test guest; {@code acpi=off} so that it ignores the power button and a
   * {@code stop} runs until its timeout, the command the kill -9 below interrupts).
   */
  private static void prepareTheReadmesMachine(Container c) throws IOException {
    for (String user : List.of("alice", "bob")) {
      if (c.run("id", user).code() != 0) {
        c.ok("useradd", "-m", "-s", "/bin/sh", user);
      }
    }
    c.ok("install", "-d", "-m", "0755", TestGuest.SERIAL_DIR.toString());
    Files.writeString(c.path("/root/alice-web.xml"), TestGuest.domainXml("alice-web")
        .replace("console=ttyS0 quiet", "console=ttyS0 quiet acpi=off"), UTF_8);
    c.ok("virsh", "-c", URI, "define", "/root/alice-web.xml");
  }

  /**
   * The admin's commands as root in the source tree, one by one; then alice's, as alice, each
   * {@code wirt} command once wirtd has found her tree (what the README says she waits for), and
   * their output as the README shows it.
   */
  private static void followTheReadmesInstall(Container c, Readme readme) throws Exception {
    for (String line : readme.admin()) {
      Exit e = c.sh(BASEDIR, line);
      assertEquals(0, e.code(), "README's install, as root in " + BASEDIR + ": `" + line + "`\n"
          + e.stdout() + e.stderr());
    }
    assertEquals("enabled", c.run("systemctl", "is-enabled", "wirtd").stdout().strip());
    assertEquals("active", c.run("systemctl", "is-active", "wirtd").stdout().strip());
    for (Readme.Step step : readme.alice()) {
      if (step.command().startsWith("wirt ")) {
        Await.until("wirtd serving alice's tree (her VM web in ~/wirt/command/vm)", DEADLINE,
            () -> Files.isDirectory(c.path("/home/alice/wirt/command/vm/web")));
      }
      Exit e = c.shAs("alice", step.command());
      assertEquals(0, e.code(), "README's install, as alice: `" + step.command() + "`\n"
          + e.stdout() + e.stderr() + journal(c));
      assertEquals(step.output(), e.stdout(), "README's install, as alice: `" + step.command()
          + "` prints what the README shows");
    }
    // The last of them is the file way: a start file, consumed by wirtd.
    Await.until("alice's start file consumed", DEADLINE,
        () -> !Files.exists(c.path("/home/alice/wirt/command/vm/web/start")));
    assertEquals("running", c.ok("virsh", "-c", URI, "domstate", "alice-web").strip());
  }

  /**
   * Type=notify: with libvirtd frozen (SIGSTOP), wirtd's connection waits in libvirtd's accept
   * queue and wirtd cannot be ready; the unit must stay "activating" with the JVM as its main
   * process. Thawed, it becomes active, with the status text of wirtd's READY=1 message.
   */
  private static void activeOnlyAfterReady(Container c) throws Exception {
    c.ok("systemctl", "stop", "wirtd");
    String libvirtd = show(c, "libvirtd", "MainPID").get("MainPID");
    c.ok("kill", "-STOP", libvirtd);
    try {
      c.ok("systemctl", "start", "--no-block", "wirtd");
      Await.until("wirtd's connection in libvirtd's accept queue", DEADLINE,
          () -> acceptQueue(c) >= 1);
      Map<String, String> starting = show(c, "wirtd", "ActiveState", "SubState", "MainPID",
          "StatusText");
      assertEquals("activating", starting.get("ActiveState"), starting.toString());
      assertEquals("start", starting.get("SubState"), starting.toString());
      assertEquals("", starting.get("StatusText"), starting.toString());
      assertEquals("java", c.ok("cat", "/proc/" + starting.get("MainPID") + "/comm").strip(),
          "the wrapper execs the JVM, the main process (NotifyAccess=main)");
      assertEquals("activating", c.run("systemctl", "is-active", "wirtd").stdout().strip());
    } finally {
      c.ok("kill", "-CONT", libvirtd);
    }
    awaitState(c, "active");
    Map<String, String> ready = show(c, "wirtd", "SubState", "StatusText", "Type");
    assertEquals("running", ready.get("SubState"), ready.toString());
    assertEquals("notify", ready.get("Type"));
    assertTrue(ready.get("StatusText").matches("serving \\d+ users"),
        "systemd has the STATUS= of wirtd's READY=1 message: " + ready);
  }

  /** Listening sockets' Recv-Q is their accept queue. */
  private static int acceptQueue(Container c) {
    try {
      String line = c.ok("ss", "-xlnH", "src", "/run/libvirt/libvirt-sock").strip();
      return line.isEmpty() ? 0 : Integer.parseInt(line.split("\\s+")[2]);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * {@code systemctl reload} (SIGHUP) applies a new default quota, which alice sees in
   * {@code info/quota.json}; a bad file is refused: the journal says why, the quota stays, the
   * same wirtd keeps running.
   */
  private static void reloadAppliesAQuotaAndRefusesABadFile(Container c) throws Exception {
    Path quota = c.path("/home/alice/wirt/info/quota.json");
    Await.until("alice's quota.json", DEADLINE, () -> vmsLimit(quota) == 4);
    String pid = show(c, "wirtd", "MainPID").get("MainPID");
    editConfig(c, config -> object(object(config, "quotas"), "default").put("vms", 3));
    c.ok("systemctl", "reload", "wirtd");
    Await.until("quota.json with the reloaded limit of 3 VMs", DEADLINE,
        () -> vmsLimit(quota) == 3);

    String good = Files.readString(c.path(CONFIG), UTF_8);
    editConfig(c, config -> {
      object(object(config, "quotas"), "default").put("vms", 2);
      ((ObjectNode) config).put("quotaa", 1);
    });
    c.ok("systemctl", "reload", "wirtd");
    Await.until("the journal refusing the bad file", DEADLINE,
        () -> journal(c).contains("reload refused, keeping the running configuration: " + CONFIG
            + ": unknown key 'quotaa'"));
    Map<String, String> after = show(c, "wirtd", "ActiveState", "SubState", "MainPID");
    assertEquals(Map.of("ActiveState", "active", "SubState", "running", "MainPID", pid), after);
    // A reload that took the file would have rewritten quota.json with 2.
    assertEquals(3, vmsLimit(quota), "the running configuration is kept");
    Files.writeString(c.path(CONFIG), good, UTF_8);
  }

  private static int vmsLimit(Path quota) {
    try {
      return JSON.readTree(quota.toFile()).path("limits").path("vms").asInt(-1);
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * An admin imports a golden image (the test guest's kernel in its description); alice creates a
   * VM on it and boots it: wirtd runs qemu-img and genisoimage and writes the seed under the unit's
   * sandbox and system-call filter.
   */
  private static void provisionsInsideTheSandbox(Container c) throws Exception {
    c.ok("qemu-img", "create", "-q", "-f", "qcow2", "/root/tiny.qcow2", "64M");
    Files.writeString(c.path("/root/tiny.json"), """
        {"vcpus": 1, "memoryMiB": 128, "diskGiB": 1, "osVariant": "linux", "cloudInit": true,
         "kernel": "%s", "initrd": "%s", "cmdline": "console=ttyS0 quiet"}
        """.formatted(TestGuest.kernel(), TestGuest.initrd()), UTF_8);
    assertEquals("imported tiny (qcow2) as /var/lib/libvirt/wirt/images/tiny.qcow2\n",
        c.ok("wirtctl", "image", "import", "tiny", "/root/tiny.qcow2", "--description",
            "/root/tiny.json"));
    // postinst, under systemd, defines wirt's network, starts it and marks it autostart (inside
    // the container's own network namespace: nspawn --private-network).
    String net = c.ok("virsh", "-c", URI, "net-info", "wirt");
    assertTrue(net.matches("(?s).*Active:\\s+yes.*Autostart:\\s+yes.*"), net);
    // nspawn mounts /sys read-only, so libvirt cannot make a guest's port on that bridge isolated
    // (brport/isolated): in here alice's VM goes without a network. ConsoleEndToEndTest attaches
    // one to an isolated network on the host's libvirtd.
    Exit create = c.shAs("alice", "wirt create db --image tiny --no-network --ssh-key 'ssh-ed25519 "
        + "AAAAC3NzaC1lZDI1NTE5AAAAIGtlc3Q alice@laptop'");
    assertEquals(0, create.code(), create + journal(c));
    assertEquals("created alice-db from image tiny (1 vCPUs, 128 MiB, 1 GiB); write 'start' to "
        + "boot it\n", create.stdout());
    assertTrue(Files.size(c.path("/var/lib/libvirt/wirt/vms/alice-db-seed.iso")) > 0);
    assertTrue(c.ok("qemu-img", "info", "-U", "/var/lib/libvirt/wirt/vms/alice-db.qcow2")
        .contains("backing file: /var/lib/libvirt/wirt/images/tiny.qcow2"));
    Exit start = c.shAs("alice", "wirt start db");
    assertEquals("started alice-db\n", start.stdout(), start + journal(c));
    assertEquals("running", c.ok("virsh", "-c", URI, "domstate", "alice-db").strip());
    Exit destroy = c.shAs("alice", "wirt destroy db");
    assertEquals("powered off alice-db\n", destroy.stdout(), destroy.toString());
  }

  /**
   * alice's {@code stop} runs (the guest ignores the power button) when the JVM gets SIGKILL:
   * systemd restarts wirtd after RestartSec with a new main process, and the interrupted command
   * has exactly one history line.
   */
  private static void killMinus9RestartsAndRecordsTheInterruptedCommandOnce(Container c)
      throws Exception {
    String tag = "k9-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> before = show(c, "wirtd", "MainPID", "NRestarts", "RestartUSec");
    c.ok("runuser", "-u", "alice", "--", "sh", "-c", "cd ~/wirt/command/vm/web"
        + " && echo timeout=300 > .stop." + tag + ".tmp && mv .stop." + tag + ".tmp stop." + tag);
    Await.until("wirtd running alice's stop." + tag, DEADLINE,
        () -> journal(c).contains("verb=stop tag=" + tag));
    c.ok("kill", "-9", before.get("MainPID"));
    Await.until("systemd to schedule the restart", DEADLINE,
        () -> "auto-restart".equals(show(c, "wirtd", "SubState").get("SubState")));
    long died = Long.parseLong(show(c, "wirtd", "ExecMainExitTimestampMonotonic")
        .get("ExecMainExitTimestampMonotonic"));
    awaitState(c, "active");
    Map<String, String> after = show(c, "wirtd", "MainPID", "NRestarts",
        "ExecMainStartTimestampMonotonic");
    assertEquals(Integer.parseInt(before.get("NRestarts")) + 1,
        Integer.parseInt(after.get("NRestarts")), after.toString());
    assertNotEquals(before.get("MainPID"), after.get("MainPID"));
    long restartMicros = seconds(before.get("RestartUSec")) * 1_000_000;
    long gap = Long.parseLong(after.get("ExecMainStartTimestampMonotonic")) - died;
    System.out.println("systemd-test: kill -9 -> new wirtd after " + gap / 1000 + " ms (RestartSec "
        + before.get("RestartUSec") + ")");
    // systemd's own clock: it waited RestartSec, and started it then (10 s of slack for a busy
    // machine, not a measure of speed).
    assertTrue(gap >= restartMicros && gap < restartMicros + 10_000_000,
        "restarted " + gap + " µs after the kill, RestartSec " + before.get("RestartUSec"));

    Path history = c.path("/home/alice/wirt/logs/history.log");
    Await.until("the history line of stop." + tag, DEADLINE,
        () -> historyLines(history, tag).size() == 1);
    // A later command of the same VM runs after anything left of the interrupted one.
    Exit destroy = c.shAs("alice", "wirt destroy web");
    assertEquals("powered off alice-web\n", destroy.stdout(), destroy + journal(c));
    List<JsonNode> lines = historyLines(history, tag);
    assertEquals(1, lines.size(), lines.toString());
    assertEquals("interrupted", lines.get(0).path("result").asText(), lines.toString());
    assertTrue(Files.exists(c.path("/home/alice/wirt/info/vm/web/results/" + tag + ".json")));
    assertTrue(!Files.exists(c.path("/home/alice/wirt/command/vm/web/stop." + tag)));
    assertTrue(journal(c).contains("recovered interrupted"), journal(c));
  }

  private static List<JsonNode> historyLines(Path history, String tag) {
    List<JsonNode> found = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(history, UTF_8)) {
        JsonNode n = JSON.readTree(line);
        if (tag.equals(n.path("tag").asText())) {
          found.add(n);
        }
      }
    } catch (IOException e) {
      return List.of();
    }
    return found;
  }

  /**
   * node_exporter's textfile directory (Debian's, made before wirtd starts, as installing
   * prometheus-node-exporter makes it) is writable for wirtd under the unit: with {@code
   * metrics.textfile} there, a restarted wirtd writes its counters, root's and 0644, and they
   * parse as Prometheus' text format with alice among the users.
   */
  private static void writesTheMetricsTextfileInsideTheSandbox(Container c) throws Exception {
    c.ok("install", "-d", "-m", "0755", "/var/lib/prometheus/node-exporter");
    editConfig(c, config -> ((ObjectNode) config).putObject("metrics")
        .put("textfile", "/var/lib/prometheus/node-exporter/wirt.prom")
        .put("textfileSeconds", 1));
    c.ok("systemctl", "restart", "wirtd");
    awaitState(c, "active");
    Path textfile = c.path("/var/lib/prometheus/node-exporter/wirt.prom");
    Await.until("wirtd's textfile with alice's usage", DEADLINE, () -> {
      try {
        return Files.isRegularFile(textfile) && PrometheusText.parse(
            Files.readString(textfile, UTF_8)).get("wirt_user_vms")
            .value("wirt_user_vms", Map.of("user", "alice")) >= 1;
      } catch (IOException | PrometheusText.FormatException | RuntimeException | AssertionError e) {
        return false; // not there yet, or written before alice's VM was counted
      }
    });
    Map<String, PrometheusText.Family> families =
        PrometheusText.parse(Files.readString(textfile, UTF_8));
    assertEquals(1.0, families.get("wirt_libvirt_up").value("wirt_libvirt_up"));
    assertEquals("root 644",
        c.ok("stat", "-c", "%U %a", "/var/lib/prometheus/node-exporter/wirt.prom").strip());
  }

  /**
   * In wirtd's own process: only CAP_SETUID, CAP_SETGID and CAP_CHOWN, no new privileges, a seccomp filter;
   * in its mount namespace, a root process can write only to ReadWritePaths= (the same writes
   * succeed outside it). Raw sockets: a probe in a copy of the installed unit (the same sandbox,
   * checked property by property against wirtd's) gets EPERM for AF_INET raw (no CAP_NET_RAW) and
   * EAFNOSUPPORT for AF_PACKET and AF_NETLINK (RestrictAddressFamilies=).
   */
  private static void theSandboxHoldsInWirtdsOwnProcess(Container c) throws Exception {
    String pid = show(c, "wirtd", "MainPID").get("MainPID");
    Map<String, String> status = new LinkedHashMap<>();
    for (String line : c.ok("cat", "/proc/" + pid + "/status").lines().toList()) {
      int colon = line.indexOf(':');
      status.put(line.substring(0, colon), line.substring(colon + 1).strip());
    }
    for (String set : List.of("CapPrm", "CapEff", "CapBnd")) {
      assertEquals(SETUID_SETGID, status.get(set),
          set + ": only CAP_SETUID, CAP_SETGID and CAP_CHOWN");
    }
    assertEquals(Set.of("cap_chown", "cap_setgid", "cap_setuid"),
        capabilities(status.get("CapEff")));
    assertEquals(capabilities(status.get("CapBnd")), Set.of(show(c, "wirtd",
        "CapabilityBoundingSet").get("CapabilityBoundingSet").split(" ")));
    assertEquals("0000000000000000", status.get("CapAmb"));
    assertEquals("0000000000000000", status.get("CapInh"));
    assertEquals("1", status.get("NoNewPrivs"));
    assertEquals("2", status.get("Seccomp"), "a seccomp filter (SystemCallFilter=)");

    for (String path : List.of("/usr/wirt-probe", "/etc/wirt/probe", "/var/lib/libvirt/probe",
        "/root/probe")) {
      Exit inside = c.run("nsenter", "-t", pid, "-m", "touch", path);
      assertNotEquals(0, inside.code(), path + " writable in wirtd's namespace");
      assertTrue(inside.stderr().contains("Read-only file system"), inside.toString());
      c.ok("touch", path);
      c.ok("rm", path);
    }
    for (String path : List.of("/var/lib/wirt/probe", "/var/log/wirt/probe",
        "/var/lib/libvirt/wirt/probe", "/var/lib/prometheus/node-exporter/probe",
        "/home/alice/probe")) {
      c.ok("nsenter", "-t", pid, "-m", "touch", path);
      c.ok("rm", path);
    }

    Files.writeString(c.path("/root/wirt-probe.pl"), """
        use Socket;
        for my $c ([AF_INET, SOCK_RAW, 1, "AF_INET raw"], [17, SOCK_RAW, 0, "AF_PACKET raw"],
            [16, SOCK_RAW, 0, "AF_NETLINK raw"], [AF_INET, SOCK_STREAM, 0, "AF_INET stream"],
            [AF_UNIX, SOCK_STREAM, 0, "AF_UNIX stream"]) {
          my ($family, $type, $protocol, $name) = @$c;
          print "$name: ", (socket(my $s, $family, $type, $protocol) ? "ok" : "$!"), "\\n";
        }
        print "write /usr: ", (open(my $f, ">", "/usr/wirt-probe") ? "ok" : "$!"), "\\n";
        """, UTF_8);
    String unit = Files.readString(c.path("/lib/systemd/system/wirtd.service"), UTF_8);
    String probe = unit.replaceAll("(?m)^ExecStart=.*$", "ExecStart=/usr/bin/perl /root/wirt-probe.pl")
        .replaceAll("(?m)^Type=notify$", "Type=oneshot")
        .replaceAll("(?m)^(ExecReload|Restart|RestartSec|NotifyAccess)=.*\\n", "");
    Files.writeString(c.path("/root/wirt-probe.service"), probe, UTF_8);
    c.ok("cp", "/root/wirt-probe.service", "/run/systemd/system/wirt-probe.service");
    c.ok("systemctl", "daemon-reload");
    c.ok("systemctl", "start", "wirt-probe");
    String[] sandbox = {"CapabilityBoundingSet", "AmbientCapabilities", "NoNewPrivileges",
        "ProtectSystem", "ReadWritePaths", "RestrictAddressFamilies", "SystemCallFilter",
        "SystemCallArchitectures", "SystemCallErrorNumber", "RestrictNamespaces", "PrivateTmp",
        "PrivateDevices", "ProtectHome", "LockPersonality", "RestrictSUIDSGID", "UMask"};
    assertEquals(show(c, "wirtd", sandbox), show(c, "wirt-probe", sandbox),
        "the probe's unit has wirtd's sandbox");
    String expected = """
        AF_INET raw: Operation not permitted
        AF_PACKET raw: Address family not supported by protocol
        AF_NETLINK raw: Address family not supported by protocol
        AF_INET stream: ok
        AF_UNIX stream: ok
        write /usr: Read-only file system
        """;
    // journald reads the probe's output on its own time: poll for all six lines.
    String[] seen = {""};
    try {
      Await.until("the probe's six lines in the journal", DEADLINE, () -> {
        try {
          // The unit comes from the stream's header; _COMM would be read from /proc, which
          // journald may find gone for a process this short.
          seen[0] = c.ok("journalctl", "-u", "wirt-probe", "-o", "cat").lines()
              .filter(l -> l.matches("(AF_\\w+ \\w+|write /usr): .*"))
              .map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
        } catch (IOException e) {
          return false;
        }
        return seen[0].lines().count() >= 6;
      });
    } catch (AssertionError timedOut) {
      // what it printed is compared below
    }
    assertEquals(expected, seen[0]);
  }

  /** The names of the capabilities in a /proc/<pid>/status mask (only the two wirtd may have). */
  private static Set<String> capabilities(String mask) {
    long bits = Long.parseUnsignedLong(mask, 16);
    Set<String> names = new TreeSet<>();
    for (int bit = 0; bit < 64; bit++) {
      if ((bits & (1L << bit)) != 0) {
        names.add(switch (bit) {
          case 0 -> "cap_chown";
          case 6 -> "cap_setgid";
          case 7 -> "cap_setuid";
          default -> "capability " + bit;
        });
      }
    }
    return names;
  }

  /** {@code systemd-analyze security wirtd} of the running unit, as the README gives it. */
  private static void theReadmesSecurityScoreIsThisRuns(Container c, Readme readme)
      throws IOException {
    String analysis = c.ok("systemd-analyze", "security", "--no-pager", "wirtd");
    Matcher m = Pattern.compile("Overall exposure level for wirtd\\.service: ([0-9.]+) (\\S+)")
        .matcher(analysis);
    assertTrue(m.find(), analysis);
    String score = m.group(1) + " " + m.group(2);
    System.out.println("systemd-test: systemd-analyze security wirtd: " + score);
    assertEquals(score, readme.securityScore(), "README.md's `systemd-analyze security wirtd`"
        + " score differs from this run's; write " + score + " there");
  }

  /**
   * After a stop, a start with a bad configuration: wirtd exits with 3 before READY=1, the start
   * fails, and systemd does not schedule a restart (RestartPreventExitStatus=3): the unit is
   * failed, not auto-restart.
   */
  private static void aBadConfigurationStopsAtExit3WithoutLooping(Container c) throws Exception {
    c.ok("systemctl", "stop", "wirtd");
    int restarts = Integer.parseInt(show(c, "wirtd", "NRestarts").get("NRestarts"));
    String good = Files.readString(c.path(CONFIG), UTF_8);
    editConfig(c, config -> ((ObjectNode) config).put("wokers", 2));
    Exit start = c.run("systemctl", "start", "wirtd");
    assertNotEquals(0, start.code(), start.toString());
    Map<String, String> failed = show(c, "wirtd", "ActiveState", "SubState", "Result",
        "ExecMainStatus");
    assertEquals(Map.of("ActiveState", "failed", "SubState", "failed", "Result", "exit-code",
        "ExecMainStatus", "3"), failed, "not auto-restart: systemd schedules no restart");
    assertTrue(Integer.parseInt(show(c, "wirtd", "NRestarts").get("NRestarts")) <= restarts);
    assertEquals("", c.ok("systemctl", "list-jobs", "--no-legend", "wirtd.service").strip(),
        "no restart job pending");
    String journal = journal(c);
    assertTrue(journal.contains("wirtd: " + CONFIG + ": unknown key 'wokers'"), journal);
    Files.writeString(c.path(CONFIG), good, UTF_8);
  }

  private static void editConfig(Container c, java.util.function.Consumer<JsonNode> edit)
      throws IOException {
    Path file = c.path(CONFIG);
    JsonNode config = JSON.readTree(file.toFile());
    edit.accept(config);
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config), UTF_8);
  }

  private static ObjectNode object(JsonNode parent, String field) {
    return (ObjectNode) parent.get(field);
  }

  private static void awaitState(Container c, String state) throws InterruptedException {
    Await.until("wirtd " + state, DEADLINE,
        () -> state.equals(show(c, "wirtd", "ActiveState").get("ActiveState")));
  }

  /** {@code systemctl show -p ...} of a unit, as a map. */
  private static Map<String, String> show(Container c, String unit, String... properties) {
    try {
      Map<String, String> values = new LinkedHashMap<>();
      for (String line : c.ok("systemctl", "show", unit, "-p", String.join(",", properties))
          .lines().toList()) {
        int eq = line.indexOf('=');
        values.put(line.substring(0, eq), line.substring(eq + 1));
      }
      return values;
    } catch (IOException e) {
      throw new AssertionError("systemctl show " + unit + ": " + e.getMessage(), e);
    }
  }

  /** "5s", "1min 30s", "500ms" as whole seconds (RestartUSec). */
  private static long seconds(String span) {
    long micros = 0;
    Matcher m = Pattern.compile("(\\d+)(min|ms|s)").matcher(span);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      micros += switch (m.group(2)) {
        case "min" -> n * 60_000_000;
        case "ms" -> n * 1_000;
        default -> n * 1_000_000;
      };
    }
    return micros / 1_000_000;
  }

  private static String journal(Container c) {
    try {
      return "\n--- journalctl -u wirtd ---\n"
          + c.run("journalctl", "-u", "wirtd", "-o", "cat", "--no-pager").stdout();
    } catch (IOException e) {
      return "\n(journalctl failed: " + e.getMessage() + ")";
    }
  }

  /**
   * The README's install section: the admin's commands (its {@code sh} block, one per line), alice's
   * (its {@code console} block: {@code $ } lines, each followed by the output it prints) and, from
   * the service section below it, the {@code systemd-analyze security wirtd} score.
   */
  record Readme(List<String> admin, List<Step> alice, String securityScore) {
    record Step(String command, String output) {}

    static Readme read(Path file) throws IOException {
      String text = Files.readString(file, UTF_8);
      int start = text.indexOf("\n### Install\n");
      assertTrue(start >= 0, file + " has no ### Install section");
      int end = text.indexOf("\n### ", start + 1);
      String install = text.substring(start, end < 0 ? text.length() : end);
      Matcher sh = Pattern.compile("(?s)\n```sh\n(.*?)```\n").matcher(install);
      assertTrue(sh.find(), "no ```sh block in README's install section");
      List<String> admin = sh.group(1).lines().filter(l -> !l.isBlank()).toList();
      Matcher console = Pattern.compile("(?s)\n```console\n(.*?)```\n").matcher(install);
      assertTrue(console.find(), "no ```console block in README's install section");
      List<Step> alice = new ArrayList<>();
      String command = null;
      StringBuilder output = new StringBuilder();
      for (String line : console.group(1).lines().toList()) {
        if (line.startsWith("$ ")) {
          if (command != null) {
            alice.add(new Step(command, output.toString()));
          }
          command = line.substring(2);
          output.setLength(0);
        } else {
          output.append(line).append('\n');
        }
      }
      assertTrue(command != null, "no `$ ` command in README's console block");
      alice.add(new Step(command, output.toString()));
      Matcher score = Pattern.compile("(?s)`systemd-analyze security wirtd`.{0,300}?"
          + "\\*\\*([0-9.]+ [A-Z]+)\\*\\*").matcher(install);
      assertTrue(score.find(), "README's install section gives no `systemd-analyze security wirtd`"
          + " score as **N.N WORD**");
      return new Readme(admin, alice, score.group(1));
    }
  }
}
