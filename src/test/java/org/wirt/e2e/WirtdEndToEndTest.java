package org.wirt.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.Owner;
import org.wirt.posix.NotifyReceiver;
import org.wirt.testing.Programs;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;
import org.wirt.testing.WirtdFixture;
import org.wirt.testing.WirtdProcess;

/**
 * The real thing: {@code wirtd} as its own root process, reading its group's members from NSS,
 * driving a real libvirtd with QEMU, and real users in that group writing commands with {@code
 * runuser}. The guest really powers itself off when it gets the ACPI power button.
 */
@Tag("e2e")
class WirtdEndToEndTest {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();

  private WirtdFixture h;
  private RealUsers users;
  private LibvirtHypervisor libvirt;
  private Path dir;
  private Path config;
  private WirtdProcess daemon;
  private final List<UUID> domains = new ArrayList<>();
  private User alice;
  private User bob;
  private String group;
  private GreenMail mailbox;
  private NotifyReceiver systemd;

  @BeforeEach
  void setUp() throws Exception {
    int smtpPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      smtpPort = s.getLocalPort();
    }
    h = new WirtdFixture(Libvirtd.URI, """
        "membersRefreshSeconds": 1,
        "mail": {"smtpHost": "127.0.0.1", "smtpPort": %d, "adminAddress": "root@localhost"}
        """.formatted(smtpPort));
    libvirt = h.hypervisor;
    users = h.users;
    dir = h.dir();
    group = users.createGroup();
    h.serveGroup(group);
    alice = users.createUser(group);
    bob = users.createUserInPrimaryGroup(group);
    for (User u : List.of(alice, bob)) {
      users.run(u, "mkdir", tree(u).toString());
    }
    domain(alice, "web");
    domain(bob, "web");
    mailbox = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mailbox.start();
    config = h.configFile();
    systemd = NotifyReceiver.bind(dir.resolve("notify.sock"));
    daemon = h.launch(List.of(), Map.of("NOTIFY_SOCKET", systemd.path().toString()));
    daemon.await("alice's skeleton", DEADLINE, () -> Files.isDirectory(tree(alice).resolve("command/vm/web")));
    daemon.await("bob's skeleton", DEADLINE, () -> Files.isDirectory(tree(bob).resolve("command/vm/web")));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      daemon.close();
      for (UUID uuid : domains) {
        try {
          libvirt.destroy(uuid);
        } catch (Exception e) {
          // already off
        }
        libvirt.undefine(uuid);
      }
    } finally {
      systemd.close();
      mailbox.stop();
      libvirt.close();
      h.close();
    }
  }

  @Test
  void aUserStartsAndStopsARealGuestWithFiles() throws Exception {
    String name = alice.name() + "-web";
    long before = System.nanoTime();
    users.run(alice, "touch", vmDir(alice, "web").resolve("start.boot").toString());
    daemon.await("status.json says running", DEADLINE, () -> "running".equals(state(alice, "web")));
    double toStatusMs = (System.nanoTime() - before) / 1e6;
    JsonNode started = history(alice, 1);
    assertEquals("ok", started.get("result").asText(), started.toString());
    assertEquals("started " + name, started.get("message").asText());
    daemon.await("results/boot.json", DEADLINE, () -> Files.exists(tree(alice).resolve("info/vm/web/results/boot.json")));
    assertEquals("ok", result(alice, "web", "boot").get("result").asText());
    double toCallMs = sinceWritten(name, "start");
    System.out.printf("e2e latency: file written -> libvirt call %.1f ms; runuser touch -> "
        + "status.json running %.1f ms (includes runuser's own start)%n", toCallMs, toStatusMs);

    daemon.await("guest listens for the power button", DEADLINE,
        () -> read(TestGuest.serialLog(name)).contains(TestGuest.READY));
    users.run(alice, "touch", vmDir(alice, "web").resolve("stop").toString());
    JsonNode stopped = history(alice, 2);
    assertEquals("ok", stopped.get("result").asText(), stopped.toString());
    assertTrue(stopped.get("message").asText().startsWith("shut down " + name + " in "),
        stopped.toString());
    daemon.await("status.json says shutoff", DEADLINE, () -> "shutoff".equals(state(alice, "web")));
    assertEquals("shutdown", JSON.readTree(tree(alice).resolve("info/vm/web/status.json").toFile())
        .path("reason").asText(), "the guest powered itself off, it was not destroyed");

    Path audit = dir.resolve("log/audit.log");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(audit)));
    assertEquals(2, Files.readAllLines(audit).size());
  }

  @Test
  void aPrimaryGroupMemberIsServedAndAnAttackIsRefused() throws Exception {
    users.run(bob, "ln", "-s", "/etc/shadow", vmDir(bob, "web").resolve("start").toString());
    JsonNode refused = history(bob, 1);
    assertEquals("rejected", refused.get("result").asText(), refused.toString());
    assertTrue(refused.get("message").asText().startsWith(
        "command/vm/web/start: is a symbolic link; wirt accepts only regular files"), refused.toString());
    users.run(bob, "touch", vmDir(bob, "web").resolve("status").toString());
    assertEquals("ok", history(bob, 2).get("result").asText());
    assertEquals("shutoff", state(bob, "web"));

    daemon.await("the refusal mailed to bob and root", DEADLINE, () -> mailbox.getReceivedMessages().length >= 2);
    jakarta.mail.internet.MimeMessage[] mails = mailbox.getReceivedMessages();
    assertEquals(2, mails.length, "one mail each");
    for (String to : List.of(bob.name() + "@localhost", "root@localhost")) {
      jakarta.mail.internet.MimeMessage mail = java.util.Arrays.stream(mails)
          .filter(m -> address(m).equals(to)).findFirst()
          .orElseThrow(() -> new AssertionError("no mail to " + to));
      assertEquals("[wirt] " + bob.name() + "/web: start rejected", mail.getSubject());
      String body = GreenMailUtil.getBody(mail);
      assertTrue(body.contains("message: command/vm/web/start: is a symbolic link; wirt accepts "
          + "only regular files"), body);
      assertTrue(body.contains("VM now:  shutoff"), body);
      assertTrue(body.contains("next:    fix what the message names"), body);
      System.out.println("e2e mail to " + to + ":\n" + body);
    }
  }

  private static String address(jakarta.mail.internet.MimeMessage m) {
    try {
      return m.getRecipients(jakarta.mail.Message.RecipientType.TO)[0].toString();
    } catch (jakarta.mail.MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aUserRunsWirtAndSeesTheAnswer() throws Exception {
    RealUsers.Exit started = users.attempt(alice, wirt("start", "web"));
    assertEquals(0, started.code(), started.toString());
    assertEquals("started " + alice.name() + "-web\n", started.stdout());
    RealUsers.Exit list = users.attempt(alice, wirt("list"));
    assertEquals(0, list.code(), list.toString());
    assertTrue(list.stdout().matches("(?s)VM +STATE +VCPUS +MEMORY +AUTOSTART +ADDRESSES\\n"
        + "web +running +1 +128 MiB +off +-\\n"), list.stdout());
    assertTrue(users.attempt(alice, wirt("status", "web")).stdout().contains("state:       running"));

    RealUsers.Exit again = users.attempt(alice, wirt("resume", "web"));
    assertEquals(0, again.code(), again.toString());

    daemon.await("guest listens for the power button", DEADLINE,
        () -> read(TestGuest.serialLog(alice.name() + "-web")).contains(TestGuest.READY));
    RealUsers.Exit stopped = users.attempt(alice, wirt("stop", "web", "--grace", "60"));
    assertEquals(0, stopped.code(), stopped.toString());
    assertTrue(stopped.stdout().startsWith("shut down " + alice.name() + "-web in "), stopped.stdout());

    RealUsers.Exit noSuchVm = users.attempt(alice, wirt("start", "nosuch"));
    assertEquals(2, noSuchVm.code(), noSuchVm.toString());
    assertEquals("wirt: you have no VM 'nosuch' (no " + tree(alice) + "/command/vm/nosuch); "
        + "your VMs: web\n", noSuchVm.stderr());

    users.run(alice, "mkdir", vmDir(alice, "other").toString());
    RealUsers.Exit refused = users.attempt(alice, wirt("start", "other"));
    assertEquals(5, refused.code(), refused.toString());
    assertTrue(refused.stderr().startsWith("wirt: start other refused: "), refused.stderr());
    assertTrue(refused.stderr().contains("VM 'other' is not yours"), refused.stderr());

    RealUsers.Exit history = users.attempt(alice, wirt("history"));
    assertTrue(history.stdout().lines().count() >= 5, history.stdout());

    assertTrue(daemon.stop());
    RealUsers.Exit down = users.attempt(alice, wirt("start", "web"));
    assertEquals(4, down.code(), down.toString());
    assertTrue(down.stderr().startsWith("wirt: wirtd is stopped (it stopped at "), down.stderr());
    assertTrue(down.stderr().contains("nothing was queued"), down.stderr());
    RealUsers.Exit queued = users.attempt(alice, wirt("start", "web", "--no-wait"));
    assertEquals(0, queued.code(), queued.toString());
    assertTrue(queued.stdout().startsWith("queued command/vm/web/start.w"), queued.stdout());
  }

  @Test
  void aHeartbeatThatStopsIsNoticedWhileWaiting() throws Exception {
    // wirtd killed without a chance to say so: wirt notices the heartbeat going stale.
    Path beat = tree(alice).resolve("info/wirtd.json");
    daemon.await("heartbeat written", DEADLINE, () -> Files.exists(beat));
    RealUsers.root("kill", "-STOP", Long.toString(daemon.pid()));
    try {
      // The heartbeat is the file's time: as if the last beat were long ago.
      users.sh(alice, "touch -d 2026-01-01T00:00:00Z '" + beat + "'");
      RealUsers.Exit down = users.attempt(alice, wirt("start", "web"));
      assertEquals(4, down.code(), down.toString());
      assertTrue(down.stderr().startsWith("wirt: wirtd seems to be down: its last heartbeat in "),
          down.stderr());
    } finally {
      RealUsers.root("kill", "-CONT", Long.toString(daemon.pid()));
    }
  }

  @Test
  void wirtctlAsksTheRunningDaemonAndSystemdHearsFromIt() throws Exception {
    assertEquals(Optional.of("READY=1\nSTATUS=serving 2 users"), systemd.receive(60_000));

    String status = run("wirtctl", "--config", config.toString(), "status");
    assertTrue(status.startsWith("wirtd:      running (pid " + daemon.pid() + ", since "), status);
    assertTrue(status.contains("libvirt:    qemu:///system connected\n"), status);
    assertTrue(status.contains("users:      2 served"), status);
    assertTrue(status.contains("queued:     nothing\n"), status);
    String usersTable = run("wirtctl", "--config", config.toString(), "users");
    assertTrue(usersTable.matches("(?s)USER +UID +WATCH +VMS +BUSY +TREE\n.*"), usersTable);
    for (User u : List.of(alice, bob)) {
      assertTrue(usersTable.contains(u.name() + "  "), usersTable);
    }
    assertTrue(usersTable.contains("inotify"), usersTable);
    assertEquals("nothing queued\n", run("wirtctl", "--config", config.toString(), "queue"));

    assertTrue(run("wirtctl", "--config", config.toString(), "drain")
        .startsWith("drained: no command is running"));
    users.run(alice, "touch", vmDir(alice, "web").resolve("status.held").toString());
    daemon.await("queued while draining", DEADLINE, () -> {
      try {
        return run("wirtctl", "--config", config.toString(), "queue", alice.name())
            .contains(alice.name() + "  web  1      status.held");
      } catch (Exception e) {
        return false;
      }
    });
    assertTrue(run("wirtctl", "--config", config.toString(), "status").contains("DRAINING"));
    assertTrue(Files.exists(vmDir(alice, "web").resolve("status.held")), "not taken while draining");
    assertEquals("drain ended: taking commands again\n",
        run("wirtctl", "--config", config.toString(), "drain", "--off"));
    assertEquals("held", history(alice, 1).get("tag").asText());

    // wirtctl reads a good copy; wirtd its own file, made bad: wirtd refuses and says why.
    String good = Files.readString(config);
    Path copy = dir.resolve("wirtctl.json");
    Files.writeString(copy, good);
    Files.writeString(config, good.replace("{\"group\"", "{\"bogus\": 1, \"group\""));
    Path out = Files.createTempFile(dir, "reload", ".out");
    Process bad = program(out, "wirtctl", "--config", copy.toString(), "reload").start();
    assertTrue(bad.waitFor(60, TimeUnit.SECONDS));
    assertEquals(1, bad.exitValue(), read(out));
    assertEquals("wirtctl: refused, the running configuration is kept: " + config
        + ": unknown key 'bogus'", read(out).lines().findFirst().orElse("").replaceFirst(
            "; known keys.*", ""));
    Files.writeString(config, good);
    assertEquals("configuration reloaded from " + config + "\n",
        run("wirtctl", "--config", config.toString(), "reload"));

    // Only root reaches the socket: a group member cannot, and may not even name a configuration
    // (anyone but root gets /etc/wirt/wirt.json only, SPEC 8).
    Path readable = Files.createTempFile("wirt-conf", ".json");
    Files.writeString(readable, good);
    RealUsers.root("chmod", "a+r", readable.toString());
    try {
      RealUsers.Exit denied = users.attempt(alice, Programs.command("wirtctl", "--config",
          readable.toString(), "status").toArray(String[]::new));
      assertEquals(3, denied.code(), denied.toString());
      assertTrue(denied.stderr().contains("wirtctl: --config " + readable + " is refused: run "
          + "through sudo (or by anyone but root), wirtctl reads only /etc/wirt/wirt.json"),
          denied.stderr());
    } finally {
      Files.delete(readable);
    }

    assertTrue(daemon.stop());
    assertEquals(Optional.of("STOPPING=1"), systemd.receive(10_000));
    Path out2 = Files.createTempFile(dir, "down", ".out");
    Process down = program(out2, "wirtctl", "--config", config.toString(), "status").start();
    assertTrue(down.waitFor(60, TimeUnit.SECONDS));
    assertEquals(4, down.exitValue());
    assertTrue(read(out2).startsWith("wirtctl: wirtd is not running (nothing listens on "
        + dir.resolve("state/control.sock")), read(out2));
  }

  private static String[] wirt(String... args) throws IOException {
    return Programs.command("wirt", args).toArray(String[]::new);
  }

  @Test
  void wirtctlAssignsAndUnassignsADomain() throws Exception {
    UUID spare = libvirt.define(TestGuest.domainXml("wirt-e2e-spare-" + alice.name()));
    domains.add(spare);
    String spareName = "wirt-e2e-spare-" + alice.name();
    assertEquals("assigned " + spareName + " to " + alice.name() + " (uid " + alice.uid()
        + ") as VM 'db': ~" + alice.name() + "/wirt/command/vm/db/\n",
        run("wirtctl", "--config", config.toString(), "assign", spareName, alice.name(), "db"));
    daemon.await("db appears in alice's tree", DEADLINE, () -> Files.isDirectory(vmDir(alice, "db")));
    users.run(alice, "touch", vmDir(alice, "db").resolve("status").toString());
    assertEquals("ok", history(alice, 1).get("result").asText());

    assertEquals("unassigned " + spareName + " from " + alice.name() + " (VM 'db')\n",
        run("wirtctl", "--config", config.toString(), "unassign", spareName));
    users.run(alice, "touch", vmDir(alice, "db").resolve("status").toString());
    JsonNode refused = history(alice, 2);
    assertEquals("rejected", refused.get("result").asText(), refused.toString());
    assertTrue(refused.get("message").asText().contains("VM 'db' is not yours"), refused.toString());
  }

  @Test
  void aSecondInstanceRefusesAndSigtermStopsCleanly() throws Exception {
    Path second = dir.resolve("second.out");
    Process other = program(second, "wirtd", "--config", config.toString()).start();
    assertTrue(other.waitFor(60, TimeUnit.SECONDS));
    assertEquals(4, other.exitValue());
    assertTrue(read(second).contains("wirtd: another wirtd is running (it holds "
        + dir.resolve("state/wirtd.lock") + ")"), read(second));

    assertTrue(daemon.stop(), "wirtd stops on SIGTERM");
    assertEquals(143, daemon.process().exitValue(), "the JVM's exit status for SIGTERM");
    assertTrue(log().contains("wirtd stopped"), log());
  }

  @Test
  void sighupReloadsAGoodConfigurationAndRefusesABadOne() throws Exception {
    String good = Files.readString(config);
    Files.writeString(config, good.replace("{\"group\"", "{\"bogus\": 1, \"group\""));
    RealUsers.root("kill", "-HUP", Long.toString(daemon.pid()));
    daemon.await("the bad configuration refused", DEADLINE, () -> log().contains(
        "reload refused, keeping the running configuration: " + config + ": unknown key 'bogus'"));
    users.run(alice, "touch", vmDir(alice, "web").resolve("status").toString());
    assertEquals("ok", history(alice, 1).get("result").asText(), "still serving");

    String other = users.createGroup();
    User carol = users.createUser(other);
    users.run(carol, "mkdir", tree(carol).toString());
    Files.writeString(config, good.replace(group, other));
    RealUsers.root("kill", "-HUP", Long.toString(daemon.pid()));
    daemon.await("carol served after the reload", DEADLINE, () -> Files.isDirectory(tree(carol).resolve("command/vm")));
    daemon.await("alice no longer served", DEADLINE, () -> log().contains("user=" + alice.name() + " is no longer a member"));
  }

  @Test
  void commandsWaitWhileLibvirtdRestartsAndRunAfterwards() throws Exception {
    users.run(alice, "touch", vmDir(alice, "web").resolve("start").toString());
    daemon.await("running", DEADLINE, () -> "running".equals(state(alice, "web")));
    RealUsers.root("pkill", "-TERM", "-x", "libvirtd");
    try {
      daemon.await("status.json says libvirt is unreachable", DEADLINE, () -> "unreachable".equals(
          statusField(alice, "web", "libvirt")));
      Path waiting = vmDir(alice, "web").resolve("status.during");
      users.run(alice, "touch", waiting.toString());
      daemon.await("wirtd tried and left it queued", DEADLINE, () -> log().contains(
          "cannot check user=" + alice.name() + " entry=command/vm/web/status.during"));
      assertTrue(Files.exists(waiting), "the command waits, it is not failed");
      assertEquals(1, read(tree(alice).resolve("logs/history.log")).lines().count());
    } finally {
      RealUsers.root("libvirtd", "-d");
    }
    JsonNode ran = history(alice, 2);
    assertEquals("ok", ran.get("result").asText(), ran.toString());
    assertEquals("during", ran.get("tag").asText());
    assertTrue(log().contains("libvirt reconnected uri=qemu:///system"), log());
    daemon.await("status.json says connected", DEADLINE, () -> "connected".equals(statusField(alice, "web", "libvirt")));
    assertEquals("running", state(alice, "web"), "the guest outlived libvirtd's restart");

    libvirt.close();
    libvirt = Libvirtd.connect();
    libvirt.destroy(domains.get(0));
    daemon.await("a lifecycle event after the reconnect reaches status.json", DEADLINE,
        () -> "shutoff".equals(state(alice, "web")));
  }

  private String statusField(User u, String vm, String field) {
    try {
      return JSON.readTree(tree(u).resolve("info/vm").resolve(vm).resolve("status.json").toFile())
          .path(field).asText();
    } catch (IOException e) {
      return "";
    }
  }

  private void domain(User owner, String vm) throws Exception {
    String name = owner.name() + "-" + vm;
    domains.add(libvirt.define(TestGuest.domainXml(name), new Owner(owner.name(), owner.uid(), vm)).uuid());
  }

  private static ProcessBuilder program(Path output, String... args) {
    return new ProcessBuilder(Programs.asRoot(List.of(), args[0],
        Arrays.copyOfRange(args, 1, args.length))).redirectErrorStream(true)
        .redirectOutput(output.toFile());
  }

  private String run(String... args) throws Exception {
    Path out = Files.createTempFile(dir, "run", ".out");
    Process p = program(out, args).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String text = read(out);
    assertEquals(0, p.exitValue(), text);
    return text.lines().filter(l -> !l.contains(" INFO ")).map(l -> l + "\n")
        .reduce("", String::concat);
  }

  private double sinceWritten(String domain, String verb) {
    Matcher m = Pattern.compile("verb=" + verb + " tag=\\S+ domain=" + Pattern.quote(domain)
        + " sinceWrittenMs=([0-9.]+)").matcher(log());
    assertTrue(m.find(), log());
    return Double.parseDouble(m.group(1));
  }

  private static Path tree(User u) {
    return u.home().resolve("wirt");
  }

  private static Path vmDir(User u, String vm) {
    return tree(u).resolve("command/vm").resolve(vm);
  }

  private String state(User u, String vm) {
    try {
      return JSON.readTree(tree(u).resolve("info/vm").resolve(vm).resolve("status.json").toFile())
          .path("state").asText();
    } catch (IOException e) {
      return "";
    }
  }

  private JsonNode result(User u, String vm, String tag) throws IOException {
    return JSON.readTree(tree(u).resolve("info/vm").resolve(vm).resolve("results").resolve(tag + ".json").toFile());
  }

  private JsonNode history(User u, int n) throws Exception {
    return h.awaitHistory(u, n, DEADLINE);
  }

  private String log() {
    return daemon.output();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
