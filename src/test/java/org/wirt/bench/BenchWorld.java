package org.wirt.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.wirt.config.Config;
import org.wirt.config.ConfigLoader;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.Owner;
import org.wirt.journal.Journal;
import org.wirt.posix.Inotify;
import org.wirt.posix.Nss;
import org.wirt.status.AuditLog;
import org.wirt.status.Notifier;
import org.wirt.status.Outcome;
import org.wirt.tree.Identity;
import org.wirt.users.ListedMembers;
import org.wirt.wirtd.Daemon;

/**
 * A running wirtd (in this JVM) with many users and VMs on libvirt's {@code test:///default}
 * driver. All users have the identity of the process, so thousands of them need no {@code
 * useradd}; the identity switch itself is then skipped, which the benchmark notes.
 */
final class BenchWorld implements AutoCloseable {
  final int users;
  final int vms;
  final Path dir;
  final TimingHypervisor hypervisor;
  final Daemon daemon;
  private final UUID[][] uuids;

  private BenchWorld(int users, int vms, Path dir, TimingHypervisor hypervisor, Daemon daemon,
      UUID[][] uuids) {
    this.users = users;
    this.vms = vms;
    this.dir = dir;
    this.hypervisor = hypervisor;
    this.daemon = daemon;
    this.uuids = uuids;
  }

  static BenchWorld start(int users, int vms, int workers, int sweepSeconds) throws Exception {
    return start(users, vms, workers, sweepSeconds, "test:///default", BenchWorld::testDomain, false);
  }

  /** A world on any libvirt URI, each domain defined from {@code xml} given its name. */
  static BenchWorld start(int users, int vms, int workers, int sweepSeconds, String uri,
      java.util.function.Function<String, String> xml) throws Exception {
    return start(users, vms, workers, sweepSeconds, uri, xml, false);
  }

  /**
   * As {@link #start(int, int, int, int)}, with a {@code start} command already waiting in the
   * last user's first VM when the daemon is constructed: the last tree the first sweep reaches.
   */
  static BenchWorld startWithWaitingCommand(int users, int vms, int workers, int sweepSeconds)
      throws Exception {
    return start(users, vms, workers, sweepSeconds, "test:///default", BenchWorld::testDomain, true);
  }

  private static String testDomain(String name) {
    return "<domain type='test'><name>" + name + "</name><memory unit='MiB'>64</memory>"
        + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";
  }

  private static BenchWorld start(int users, int vms, int workers, int sweepSeconds, String uri,
      java.util.function.Function<String, String> xml, boolean waitingCommand) throws Exception {
    Path dir = Files.createTempDirectory("wirt-bench");
    Nss nss = Nss.system();
    int uid = nss.euid();
    var me = nss.user(uid).orElseThrow();
    Identity self = new Identity(me.name(), me.uid(), me.gid(), nss.groupList(me.name(), me.gid()));
    Map<String, String> homes = new LinkedHashMap<>();
    for (int u = 0; u < users; u++) {
      Path home = dir.resolve("home").resolve(user(u));
      Files.createDirectories(home.resolve("wirt"));
      homes.put(user(u), home.toString());
    }
    TimingHypervisor hypervisor = new TimingHypervisor(LibvirtHypervisor.open(uri));
    UUID[][] uuids = new UUID[users][vms];
    for (int u = 0; u < users; u++) {
      for (int v = 0; v < vms; v++) {
        uuids[u][v] = hypervisor.define(xml.apply(user(u) + "-" + vm(v)),
            new Owner(user(u), uid, vm(v))).uuid();
      }
    }
    Config config = ConfigLoader.parse("bench", """
        {"libvirtUri": "%s", "stateDir": "%s", "logDir": "%s", "workers": %d,
         "sweepIntervalSeconds": %d, "users": %s,
         "console": {"runDir": "%s", "logDir": "%s"},
         "quotas": {"default": {"vms": 100000, "vcpus": 100000, "memoryMiB": 100000000,
                                "diskGiB": 100000}}}
        """.formatted(uri, dir.resolve("state"), dir.resolve("log"), workers, sweepSeconds,
        new ObjectMapper().writeValueAsString(homes), dir.resolve("run"),
        dir.resolve("log/console")));
    if (waitingCommand) {
      Path vmDir = dir.resolve("home").resolve(user(users - 1)).resolve("wirt/command/vm").resolve(vm(0));
      Files.createDirectories(vmDir);
      // Written a minute before wirtd starts: a file nobody saw being closed is taken only once
      // it is 2 s old (serve/Backlogs.SETTLE), which would be measured instead of the start-up.
      Files.setLastModifiedTime(Files.createFile(vmDir.resolve("start")),
          java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(60)));
    }
    Clock clock = Clock.systemUTC();
    long daemonStart = System.nanoTime();
    Daemon daemon = new Daemon(config, new ListedMembers(config.users(),
        name -> new Identity(name, self.uid(), self.gid(), self.groups())), hypervisor,
        Inotify.open(), Journal.open(config.stateDir()),
        new org.wirt.status.Recorder(clock, new AuditLog(config.logDir())), QUIET, clock);
    daemon.start();
    daemon.sweepNow();
    BenchWorld world = new BenchWorld(users, vms, dir, hypervisor, daemon, uuids);
    world.daemonStartNanos = daemonStart;
    world.uri = uri;
    return world;
  }

  String uri = "test:///default";

  private boolean hypervisorIsTestDriver() {
    return uri.startsWith("test:");
  }

  /** When the daemon began starting: after the world (homes, domains) was made. */
  long daemonStartNanos;

  static String user(int u) {
    return String.format("u%05d", u);
  }

  static String vm(int v) {
    return "vm" + v;
  }

  UUID uuid(int u, int v) {
    return uuids[u][v];
  }

  Path tree(int u) {
    return dir.resolve("home").resolve(user(u)).resolve("wirt");
  }

  Path vmDir(int u, int v) {
    return tree(u).resolve("command/vm").resolve(vm(v));
  }

  Path status(int u, int v) {
    return tree(u).resolve("info/vm").resolve(vm(v)).resolve("status.json");
  }

  /** Returns how many history lines the user has. */
  long historyLines(int u) throws IOException {
    Path file = tree(u).resolve("logs/history.log");
    if (!Files.exists(file)) {
      return 0;
    }
    try (var lines = Files.lines(file)) {
      return lines.count();
    }
  }

  @Override
  public void close() throws IOException {
    daemon.close();
    if (!hypervisorIsTestDriver()) {
      try (LibvirtHypervisor cleanup = LibvirtHypervisor.open(uri)) {
        for (UUID[] row : uuids) {
          for (UUID id : row) {
            try {
              cleanup.destroy(id);
            } catch (org.wirt.hypervisor.HypervisorException e) {
              // not running
            }
            cleanup.undefine(id);
          }
        }
      } catch (org.wirt.hypervisor.HypervisorException e) {
        throw new IOException(e);
      }
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static final Notifier QUIET = new Notifier() {
    @Override
    public void commandFailed(Outcome outcome, java.util.Optional<org.wirt.hypervisor.DomainStatus> vm) {}

    @Override
    public void vmTrouble(String user, String vm, org.wirt.hypervisor.LifecycleEvent event,
        java.util.Optional<org.wirt.hypervisor.DomainStatus> status) {}
  };
}
