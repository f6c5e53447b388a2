package org.wirt.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.wirt.config.Config;
import org.wirt.config.ConfigLoader;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.journal.Journal;
import org.wirt.posix.Inotify;
import org.wirt.posix.Nss;
import org.wirt.status.AuditLog;
import org.wirt.status.Notifier;
import org.wirt.status.Recorder;
import org.wirt.testing.RealUsers.User;
import org.wirt.users.GroupMembers;
import org.wirt.users.ListedMembers;
import org.wirt.users.Members;
import org.wirt.wirtd.Daemon;

/**
 * A real wirtd serving real Unix users, whose commands the tests write with {@code runuser}: the
 * users, a state and a log directory, the configuration, wirtd itself (in the test's JVM with
 * {@link #start()}, or as a process of its own with {@link #launch}), reading what it recorded,
 * and teardown. wirtd serves either the users made with {@link #user()} (listed by name in the
 * configuration) or, after {@link #serveGroup}, the members of a real Unix group read from NSS.
 *
 * <p>The in-process wirtd shares the fixture's libvirt connection, because every connection to
 * libvirt's {@code test:///default} driver has its own private state.
 */
public final class WirtdFixture implements AutoCloseable {
  /** How long the fixture's waits last. */
  public static final Duration DEADLINE = Await.DEFAULT_TIMEOUT;
  /** How long a launched wirtd may take to be ready (a JVM's start on a loaded machine). */
  public static final Duration STARTUP = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  public final RealUsers users;
  /** The fixture's own libvirt connection (the in-process wirtd's too). */
  public final LibvirtHypervisor hypervisor;
  public final Path stateDir;
  public final Path logDir;
  private final RecordingNotifier recording = new RecordingNotifier();
  /** What the in-process wirtd notified, as "user/vm verb result" or "user/vm trouble type/detail". */
  public final List<String> notified = recording.lines;
  private final Path dir;
  private final String uri;
  private final String extraConfig;
  private final List<User> served = new ArrayList<>();
  private final List<WirtdProcess> processes = new ArrayList<>();
  private String group;
  private Daemon daemon;
  private Notifier notifier = recording;

  /** A fixture on libvirt's {@code test:///default} driver. */
  public WirtdFixture() throws IOException {
    this("test:///default", "");
  }

  /**
   * A fixture on another libvirt ({@link Libvirtd#URI} is checked as {@link Libvirtd#connect}
   * does), with more configuration keys, e.g. {@code "images": {...},}; they replace the
   * fixture's defaults of the same name.
   */
  public WirtdFixture(String uri, String extraConfig) throws IOException {
    this.uri = uri;
    this.extraConfig = extraConfig;
    users = RealUsers.create();
    dir = Files.createTempDirectory("wirtd-fixture");
    stateDir = Files.createDirectory(dir.resolve("state"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    logDir = Files.createDirectory(dir.resolve("log"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try {
      hypervisor = uri.equals(Libvirtd.URI) ? Libvirtd.connect() : LibvirtHypervisor.open(uri);
    } catch (HypervisorException e) {
      throw new IOException(e);
    }
  }

  /** The directory holding {@link #stateDir}, {@link #logDir}, the configuration and wirtd's output. */
  public Path dir() {
    return dir;
  }

  /** Creates a served user with an empty {@code ~/wirt}. */
  public User user() throws IOException {
    return user(users.createUser());
  }

  /** Serves an existing test user, creating their {@code ~/wirt}. */
  public User user(User u) throws IOException {
    users.run(u, "mkdir", "-p", u.home().resolve("wirt").toString());
    served.add(u);
    return u;
  }

  /** From now on wirtd serves the members of {@code group} (read from NSS), not a list of users. */
  public void serveGroup(String group) {
    this.group = group;
  }

  /** Defines a test-driver domain owned by {@code owner} as VM {@code vm}. */
  public ManagedDomain domain(String name, User owner, String vm) throws Exception {
    return hypervisor.define("<domain type='test'><name>" + name + "</name>"
        + "<memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
        + "</domain>", new Owner(owner.name(), owner.uid(), vm));
  }

  /** The in-process wirtd notifies {@code replacement} (a real Mailer) instead of {@link #notified}. */
  public void notifyWith(Notifier replacement) {
    notifier = replacement;
  }

  /** Starts wirtd in this JVM, serving every user made so far, and waits for its first sweep. */
  public Daemon start() throws Exception {
    start(h -> h);
    daemon.sweepNow();
    return daemon;
  }

  /**
   * Starts wirtd in this JVM on {@code wrap} of the fixture's libvirt, without waiting for its
   * first sweep.
   */
  public Daemon start(UnaryOperator<Hypervisor> wrap) throws Exception {
    Config config = ConfigLoader.parse("test", configText());
    Members members;
    if (group != null) {
      members = new GroupMembers(Nss.system(), group);
    } else {
      Map<String, User> byName = new LinkedHashMap<>();
      served.forEach(u -> byName.put(u.name(), u));
      members = new ListedMembers(config.users(), name -> byName.get(name).identity());
    }
    Clock clock = Clock.systemUTC();
    daemon = new Daemon(config, members, wrap.apply(hypervisor), Inotify.open(),
        Journal.open(stateDir), new Recorder(clock, new AuditLog(logDir,
            config.limits().auditRotateBytes(), config.limits().auditKept())), notifier, clock);
    daemon.start();
    return daemon;
  }

  /** Starts wirtd in this JVM serving the members of {@code group}, and waits for its first sweep. */
  public Daemon startWithGroup(String group) throws Exception {
    serveGroup(group);
    return start();
  }

  /** The in-process wirtd. */
  public Daemon daemon() {
    return daemon;
  }

  /** Writes (again) the configuration a launched wirtd reads, and returns its path. */
  public Path configFile() throws IOException {
    Path file = dir.resolve("wirt.json");
    Files.writeString(file, configText());
    return file;
  }

  /**
   * Starts wirtd as a root process of its own ({@code java jvmOptions... org.wirt.Main wirtd
   * --config} {@link #configFile()}) with {@code environment} added, and waits until it says
   * ready (see WirtdProcess#awaitStarted); {@link #close()} stops it if the test did not.
   */
  public WirtdProcess launch(List<String> jvmOptions, Map<String, String> environment)
      throws IOException, InterruptedException {
    return launchUnwaited(jvmOptions, environment).awaitStarted(STARTUP);
  }

  /** As {@link #launch}, without waiting for it to be ready. */
  public WirtdProcess launchUnwaited(List<String> jvmOptions, Map<String, String> environment)
      throws IOException {
    // As under systemd, SIGHUP reaches wirtd even when the suite runs under nohup: a JVM
    // started with SIGHUP ignored cannot handle it (env execs, so the pid stays wirtd's).
    List<String> command = new ArrayList<>(List.of("env", "--default-signal=HUP"));
    command.addAll(Programs.asRoot(jvmOptions, "wirtd", "--config", configFile().toString()));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(environment);
    WirtdProcess process;
    synchronized (processes) {
      process = WirtdProcess.start(builder, dir.resolve("wirtd-" + processes.size() + ".out"));
      processes.add(process);
    }
    return process;
  }

  private String configText() throws IOException {
    return FixtureConfig.text(uri, stateDir, logDir, extraConfig, group, served);
  }

  /** The user's {@code ~/wirt}. */
  public Path tree(User u) {
    return u.home().resolve("wirt");
  }

  /** Writes a command file as the user: content into a temporary name, renamed into place. */
  public void command(User u, String vm, String name, String content) throws IOException {
    Path vmDir = tree(u).resolve("command/vm").resolve(vm);
    users.sh(u, "mkdir -p '" + vmDir + "' && printf '%s' '" + content + "' > '" + vmDir + "/."
        + name + ".tmp' && mv '" + vmDir + "/." + name + ".tmp' '" + vmDir + "/" + name + "'");
  }

  /** Touches a command file as the user. */
  public void touch(User u, String vm, String name) throws IOException {
    Path vmDir = tree(u).resolve("command/vm").resolve(vm);
    users.sh(u, "mkdir -p '" + vmDir + "' && touch '" + vmDir + "/" + name + "'");
  }

  /**
   * As the user, replaces whatever is at {@code link} with a symlink to {@code target}. wirtd
   * repairs its skeleton as soon as it notices, so this retries until the link itself stands.
   */
  public void plantLink(User u, Path link, Path target) throws IOException {
    users.sh(u, "until [ -L '" + link + "' ]; do rm -rf '" + link + "'; ln -s '" + target + "' '"
        + link + "'; done");
  }

  /** Returns the user's history lines, parsed. */
  public List<JsonNode> history(User u) throws IOException {
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
  public JsonNode awaitHistory(User u, int n) throws Exception {
    return awaitHistory(u, n, DEADLINE);
  }

  /** Waits up to {@code timeout} until the user has at least {@code n} history lines; returns the n-th. */
  public JsonNode awaitHistory(User u, int n, Duration timeout) throws Exception {
    return Await.value("history line " + n + " of " + u.name(), timeout, this::wirtdOutput,
        () -> history(u), lines -> lines.size() >= n).get(n - 1);
  }

  /** The VM's {@code status.json}. */
  public JsonNode status(User u, String vm) throws IOException {
    return JSON.readTree(tree(u).resolve("info/vm").resolve(vm).resolve("status.json").toFile());
  }

  /** Waits until the VM's status.json has this state. */
  public void awaitState(User u, String vm, String state) throws Exception {
    awaitState(u, vm, state, DEADLINE);
  }

  /** Waits up to {@code timeout} until the VM's status.json has this state. */
  public void awaitState(User u, String vm, String state, Duration timeout) throws Exception {
    Await.value(u.name() + "/" + vm + " " + state, timeout, this::wirtdOutput,
        () -> status(u, vm).path("state").asText(), state::equals);
  }

  /** The result file of the command tagged {@code tag}. */
  public Path result(User u, String vm, String tag) {
    return tree(u).resolve("info/vm").resolve(vm).resolve("results").resolve(tag + ".json");
  }

  /** The audit log's lines, parsed. */
  public List<JsonNode> audit() throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(logDir.resolve("audit.log"), UTF_8)) {
      lines.add(JSON.readTree(line));
    }
    return lines;
  }

  /** The output of the wirtd launched last, for failure messages ("" when none was launched). */
  private String wirtdOutput() {
    synchronized (processes) {
      return processes.isEmpty() ? "" : "--- wirtd output ---\n"
          + processes.get(processes.size() - 1).output();
    }
  }

  /**
   * Stops wirtd (before the users go: a running wirtd would make their trees again), then deletes
   * the users, their homes and the fixture's directory.
   */
  @Override
  public void close() throws IOException {
    try {
      synchronized (processes) {
        for (WirtdProcess p : processes) {
          p.close();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping wirtd", e);
    } finally {
      if (daemon != null) {
        daemon.close();
      }
      hypervisor.close();
      users.close();
      RealUsers.root("rm", "-rf", dir.toString());
    }
  }
}
