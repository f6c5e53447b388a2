package org.wirt.daemon;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.wirt.config.Config;
import org.wirt.config.ConfigLoader;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.posix.Inotify;
import org.wirt.status.AuditLog;
import org.wirt.status.Recorder;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.users.ListedMembers;

/**
 * A root wirtd running in the test's JVM on libvirt's {@code test:///default} driver, serving real
 * Unix users whose commands the tests write with {@code runuser}. The daemon and the tests share
 * one libvirt connection, because every connection to the test driver has its own private state.
 */
final class Harness implements AutoCloseable {
  static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  final RealUsers users;
  final LibvirtHypervisor hypervisor;
  final Path stateDir;
  final Path logDir;
  private final List<User> served = new ArrayList<>();
  /** What the daemon notified, as "user/vm verb result" or "user/vm trouble type/detail". */
  final List<String> notified = java.util.Collections.synchronizedList(new ArrayList<>());
  private final org.wirt.status.Notifier notices = new org.wirt.status.Notifier() {
    @Override
    public void commandFailed(org.wirt.status.Outcome o,
        java.util.Optional<org.wirt.hypervisor.DomainStatus> vm) {
      notified.add(o.user() + "/" + o.vm() + " " + o.verb() + " " + o.result().json());
    }

    @Override
    public void vmTrouble(String user, String vm, org.wirt.hypervisor.LifecycleEvent event,
        java.util.Optional<org.wirt.hypervisor.DomainStatus> status) {
      notified.add(user + "/" + vm + " trouble " + event.type() + "/" + event.detail());
    }
  };
  private Daemon daemon;
  /** Replaces the recording notifier when set before {@link #start()} (a real Mailer). */
  org.wirt.status.Notifier notifier;
  private final String uri;
  private final String extraConfig;

  Harness() throws IOException {
    this("test:///default", "");
  }

  /** A harness on another libvirt, with more configuration keys (e.g. {@code "images": {...},}). */
  Harness(String uri, String extraConfig) throws IOException {
    this.uri = uri;
    this.extraConfig = extraConfig;
    users = RealUsers.create();
    stateDir = Files.createTempDirectory("wirt-state");
    logDir = Files.createTempDirectory("wirt-log");
    try {
      hypervisor = LibvirtHypervisor.open(uri);
    } catch (org.wirt.hypervisor.HypervisorException e) {
      throw new IOException(e);
    }
  }

  /** Creates a served user with an empty {@code ~/wirt}. */
  User user() throws IOException {
    return user(users.createUser());
  }

  /** Serves an existing test user, creating their {@code ~/wirt}. */
  User user(User u) throws IOException {
    users.run(u, "mkdir", "-p", u.home().resolve("wirt").toString());
    served.add(u);
    return u;
  }

  /** Defines a test-driver domain owned by {@code owner} as VM {@code vm}. */
  ManagedDomain domain(String name, User owner, String vm) throws Exception {
    return hypervisor.define("<domain type='test'><name>" + name + "</name>"
        + "<memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
        + "</domain>", new Owner(owner.name(), owner.uid(), vm));
  }

  /** Starts the daemon serving every user made so far, and waits for its first sweep. */
  Daemon start() throws Exception {
    start(h -> h);
    daemon.sweepNow();
    return daemon;
  }

  /**
   * Starts the daemon serving every user made so far on {@code wrap} of the harness's libvirt,
   * without waiting for its first sweep.
   */
  Daemon start(java.util.function.UnaryOperator<org.wirt.hypervisor.Hypervisor> wrap) throws Exception {
    Map<String, String> homes = new LinkedHashMap<>();
    for (User u : served) {
      homes.put(u.name(), u.home().toString());
    }
    Config config = config("\"users\": " + JSON.writeValueAsString(homes));
    Map<String, RealUsers.User> byName = new LinkedHashMap<>();
    served.forEach(u -> byName.put(u.name(), u));
    return start(config, new ListedMembers(config.users(), name -> byName.get(name).identity()),
        wrap);
  }

  /** Starts the daemon serving the members of a real Unix group, read from NSS. */
  Daemon startWithGroup(String group) throws Exception {
    start(config("\"group\": \"" + group + "\""),
        new org.wirt.users.GroupMembers(org.wirt.posix.Nss.system(), group), h -> h);
    daemon.sweepNow();
    return daemon;
  }

  private Config config(String members) throws Exception {
    return ConfigLoader.parse("test", """
        {"libvirtUri": "%s", "stateDir": "%s", "logDir": "%s",
         "sweepIntervalSeconds": 2, "workers": 2, "maxCommandBytes": 4096, %s %s}
        """.formatted(uri, stateDir, logDir, extraConfig, members));
  }

  private Daemon start(Config config, org.wirt.users.Members members,
      java.util.function.UnaryOperator<org.wirt.hypervisor.Hypervisor> wrap) throws Exception {
    Clock clock = Clock.systemUTC();
    daemon = new Daemon(config, members, wrap.apply(hypervisor), Inotify.open(),
        org.wirt.queue.Journal.open(stateDir),
        new Recorder(clock, new AuditLog(logDir, config.limits().auditRotateBytes(),
            config.limits().auditKept())), notifier == null ? notices : notifier, clock);
    daemon.start();
    return daemon;
  }

  Daemon daemon() {
    return daemon;
  }

  Path tree(User u) {
    return u.home().resolve("wirt");
  }

  /** Writes a command file as the user: content into a temporary name, renamed into place. */
  void command(User u, String vm, String name, String content) throws IOException {
    Path dir = tree(u).resolve("command/vm").resolve(vm);
    users.sh(u, "mkdir -p '" + dir + "' && printf '%s' '" + content + "' > '" + dir + "/." + name
        + ".tmp' && mv '" + dir + "/." + name + ".tmp' '" + dir + "/" + name + "'");
  }

  /** Touches a command file as the user. */
  void touch(User u, String vm, String name) throws IOException {
    Path dir = tree(u).resolve("command/vm").resolve(vm);
    users.sh(u, "mkdir -p '" + dir + "' && touch '" + dir + "/" + name + "'");
  }

  /**
   * As the user, replaces whatever is at {@code link} with a symlink to {@code target}. wirtd
   * repairs its skeleton as soon as it notices, so this retries until the link itself stands.
   */
  void plantLink(User u, Path link, Path target) throws IOException {
    users.sh(u, "until [ -L '" + link + "' ]; do rm -rf '" + link + "'; ln -s '" + target + "' '"
        + link + "'; done");
  }

  /** Returns the user's history lines, parsed. */
  List<JsonNode> history(User u) throws IOException {
    Path file = tree(u).resolve("logs/history.log");
    List<JsonNode> lines = new ArrayList<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file, UTF_8)) {
        lines.add(JSON.readTree(line));
      }
    }
    return lines;
  }

  /** Waits until the user has at least {@code n} history lines; returns the n-th. */
  JsonNode awaitHistory(User u, int n) throws Exception {
    await("history line " + n + " of " + u.name(), () -> {
      try {
        return history(u).size() >= n;
      } catch (IOException e) {
        return false;
      }
    });
    return history(u).get(n - 1);
  }

  JsonNode status(User u, String vm) throws IOException {
    return JSON.readTree(tree(u).resolve("info/vm").resolve(vm).resolve("status.json").toFile());
  }

  /** Waits until the VM's status.json has this state. */
  void awaitState(User u, String vm, String state) throws Exception {
    await(u.name() + "/" + vm + " " + state, () -> {
      try {
        return state.equals(status(u, vm).path("state").asText());
      } catch (IOException e) {
        return false;
      }
    });
  }

  List<JsonNode> audit() throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(logDir.resolve("audit.log"), UTF_8)) {
      lines.add(JSON.readTree(line));
    }
    return lines;
  }

  /** Polls a condition every 10 ms until it holds; fails with its description at the deadline. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + DEADLINE.toSeconds() + " s waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  @Override
  public void close() throws IOException {
    if (daemon != null) {
      daemon.close();
    } else {
      hypervisor.close();
    }
    users.close();
    RealUsers.root("rm", "-rf", stateDir.toString(), logDir.toString());
  }
}
