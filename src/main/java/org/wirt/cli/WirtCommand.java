package org.wirt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.wirt.command.Names;
import org.wirt.config.ConfigException;
import org.wirt.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code wirt}: the user's CLI (SPEC 10). Every command it sends is a file in the user's own
 * {@code ~/wirt/command}, written the atomic way with a fresh tag; it then waits for {@code
 * results/<tag>.json} and exits 0 on {@code ok}, 1 on {@code failed}, 5 when refused, 4 when wirtd
 * is not serving, 6 when no result came in time.
 */
@Command(name = "wirt", mixinStandardHelpOptions = true, version = "wirt 0.1.0",
    description = {"Runs your virtual machines through wirtd: each command is a file in",
        "~/wirt/command/vm/<vm>/, and wirt waits for wirtd's answer in ~/wirt/info.",
        "Exit status: 0 ok, 1 failed, 2 usage, 4 wirtd not serving, 5 refused, 6 timed out."})
public final class WirtCommand implements Callable<Integer> {
  /**
   * The subcommands, in the order of {@code wirt --help}, and the options that take a value:
   * registered as a command line needs them (Cli.execute), not in the annotation.
   */
  static final Cli.Subcommands SUBCOMMANDS = new Cli.Subcommands(subcommands(),
      Set.of("--config", "--tree"));

  @Option(names = "--config", paramLabel = "FILE",
      description = "wirtd's configuration, for the tree's name (default: ${DEFAULT-VALUE})")
  Path config = Path.of(ConfigLoader.DEFAULT_FILE);

  @Option(names = "--tree", paramLabel = "DIR",
      description = "your wirt tree (default: ~/<treeDir from the configuration, wirt>)")
  Path treeDir;

  final PrintWriter out;
  final PrintWriter err;
  private final Clock clock;

  private WirtCommand(PrintWriter out, PrintWriter err, Clock clock) {
    this.out = out;
    this.err = err;
    this.clock = clock;
  }

  public static ExitCode run(PrintWriter out, PrintWriter err, String... args) {
    return Cli.execute(new WirtCommand(out, err, Clock.systemUTC()), SUBCOMMANDS, out, err, args);
  }

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("list", ListVms.class);
    m.put("status", Status.class);
    m.put("start", Start.class);
    m.put("stop", Stop.class);
    m.put("destroy", Destroy.class);
    m.put("reboot", Reboot.class);
    m.put("reset", Reset.class);
    m.put("suspend", Suspend.class);
    m.put("resume", Resume.class);
    m.put("autostart", Autostart.class);
    m.put("log", Log.class);
    m.put("history", History.class);
    m.put("quota", Quota.class);
    m.put("create", ProvisionCommands.Create.class);
    m.put("delete", ProvisionCommands.Delete.class);
    m.put("config", ProvisionCommands.Config.class);
    m.put("snapshot", ProvisionCommands.Snapshot.class);
    m.put("revert", ProvisionCommands.Revert.class);
    m.put("snapshot-delete", ProvisionCommands.SnapshotDelete.class);
    m.put("consolidate", ProvisionCommands.Consolidate.class);
    return m;
  }

  @Override
  public Integer call() {
    err.println("wirt: name a command: list, status, start, stop, destroy, reboot, reset, suspend,"
        + " resume, autostart, log, history, quota (wirt --help)");
    return ExitCode.USAGE.code();
  }

  UserTree tree() throws UsageError {
    if (treeDir != null) {
      return new UserTree(treeDir.toAbsolutePath(), clock);
    }
    String name = "wirt";
    if (Files.isReadable(config)) {
      try {
        name = ConfigLoader.load(config).treeDir();
      } catch (ConfigException e) {
        throw new UsageError(e.getMessage());
      }
    } else if (!config.equals(ConfigLoader.DEFAULT_PATH)) {
      throw new UsageError(config + ": cannot read it");
    }
    return new UserTree(Path.of(System.getProperty("user.home")).resolve(name), clock);
  }

  /** The user's tree, or null after saying on stderr why it cannot be found. */
  UserTree treeOrReport() {
    try {
      return tree();
    } catch (UsageError e) {
      err.println("wirt: " + e.getMessage());
      return null;
    }
  }

  /** Whether {@code vm} is a valid VM name; says on stderr what is accepted if not. */
  boolean isVmOrReport(String vm) {
    if (Names.isVm(vm)) {
      return true;
    }
    err.println("wirt: '" + vm + "' is not a VM name; a VM name is " + Names.VM_RULE);
    return false;
  }

  static final class UsageError extends Exception {
    UsageError(String message) {
      super(message);
    }
  }

  Clock clock() {
    return clock;
  }

  /** Options of every command that sends a command file. */
  static final class Waiting {
    @Option(names = "--no-wait", description = "queue the command and return at once")
    boolean noWait;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
        description = "how long to wait for wirtd's answer (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;
  }

  /** Writes one command file and waits for its result. */
  abstract static class Sending implements Callable<Integer> {
    @ParentCommand WirtCommand parent;
    @Mixin Waiting waiting;

    @Parameters(index = "0", paramLabel = "<vm>", description = "the VM",
        completionCandidates = NoCandidates.class)
    String vm;

    abstract String verb();

    String content() {
      return "";
    }

    @Override
    public Integer call() throws Exception {
      PrintWriter out = parent.out;
      PrintWriter err = parent.err;
      UserTree tree = parent.treeOrReport();
      if (tree == null) {
        return ExitCode.CONFIG.code();
      }
      if (!parent.isVmOrReport(vm)) {
        return ExitCode.USAGE.code();
      }
      if (!Files.isDirectory(tree.commandDir(vm))) {
        List<String> vms = Files.isDirectory(tree.root()) ? tree.vms() : List.of();
        err.println("wirt: you have no VM '" + vm + "' (no " + tree.commandDir(vm) + "); "
            + (vms.isEmpty() ? "you have no VMs yet" : "your VMs: " + String.join(", ", vms)));
        return ExitCode.USAGE.code();
      }
      UserTree.Daemon daemon = tree.daemon();
      if (daemon instanceof UserTree.Daemon.Down down && !waiting.noWait) {
        err.println("wirt: " + down.why() + "; nothing was queued (--no-wait queues it anyway,"
            + " for when wirtd is back)");
        return ExitCode.UNAVAILABLE.code();
      }
      String tag = tree.freshTag();
      Path file = tree.queue(vm, verb(), tag, content());
      String queued = "queued " + tree.root().relativize(file);
      if (waiting.noWait) {
        out.println(queued + (daemon instanceof UserTree.Daemon.Down down
            ? " (" + down.why() + ")" : ""));
        return ExitCode.OK.code();
      }
      if (daemon instanceof UserTree.Daemon.Serving s && s.draining()) {
        err.println("wirt: " + queued + ", but wirtd is draining for maintenance and takes no "
            + "commands now; it runs when the drain ends (see wirt history)");
        return ExitCode.UNAVAILABLE.code();
      }
      ResultWaiter.Outcome outcome = new ResultWaiter(tree, parent.clock())
          .await(vm, tag, Duration.ofSeconds(waiting.timeoutSeconds));
      if (outcome instanceof ResultWaiter.Outcome.Down down) {
        err.println("wirt: " + down.why() + "; " + queued + " stays queued");
        return ExitCode.UNAVAILABLE.code();
      }
      if (outcome instanceof ResultWaiter.Outcome.TimedOut) {
        err.println("wirt: no answer from wirtd within " + waiting.timeoutSeconds + " s; " + queued
            + " is still queued or running: see wirt history, or wait longer with --timeout");
        return ExitCode.TIMEOUT.code();
      }
      JsonNode result = ((ResultWaiter.Outcome.Done) outcome).result();
      String r = result.path("result").asText();
      String message = result.path("message").asText();
      switch (r) {
        case "ok" -> {
          out.println(message);
          return ExitCode.OK.code();
        }
        case "rejected" -> {
          err.println("wirt: " + verb() + " " + vm + " refused: " + message);
          return ExitCode.REFUSED.code();
        }
        default -> {
          err.println("wirt: " + verb() + " " + vm + " " + r + ": " + message);
          return ExitCode.FAILED.code();
        }
      }
    }
  }

  /** VM names are completed by the bash completion script from the tree, not by picocli. */
  static final class NoCandidates extends ArrayList<String> {}

  @Command(name = "start", mixinStandardHelpOptions = true, description = "Starts the VM.")
  static final class Start extends Sending {
    @Override
    String verb() {
      return "start";
    }
  }

  @Command(name = "stop", mixinStandardHelpOptions = true, description = {
      "Asks the guest to shut down (ACPI power button) and waits for it;",
      "with --force, destroys it if it has not shut down within the grace time."})
  static final class Stop extends Sending {
    @Option(names = "--force", description = "power off if the guest does not shut down in time")
    boolean force;

    @Option(names = "--grace", paramLabel = "SECONDS",
        description = "how long the guest has to shut down (wirtd's default if not given)")
    Long grace;

    @Override
    String verb() {
      return "stop";
    }

    @Override
    String content() {
      List<String> words = new ArrayList<>();
      if (force) {
        words.add("force");
      }
      if (grace != null) {
        words.add("timeout=" + grace);
      }
      return String.join(" ", words);
    }
  }

  @Command(name = "destroy", mixinStandardHelpOptions = true,
      description = "Powers the VM off at once, like pulling the plug.")
  static final class Destroy extends Sending {
    @Override
    String verb() {
      return "destroy";
    }
  }

  @Command(name = "reboot", mixinStandardHelpOptions = true,
      description = "Asks the guest to reboot.")
  static final class Reboot extends Sending {
    @Override
    String verb() {
      return "reboot";
    }
  }

  @Command(name = "reset", mixinStandardHelpOptions = true,
      description = "Resets the VM at once, like the reset button.")
  static final class Reset extends Sending {
    @Override
    String verb() {
      return "reset";
    }
  }

  @Command(name = "suspend", mixinStandardHelpOptions = true,
      description = "Pauses the VM (it keeps its memory).")
  static final class Suspend extends Sending {
    @Override
    String verb() {
      return "suspend";
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Resumes a paused VM.")
  static final class Resume extends Sending {
    @Override
    String verb() {
      return "resume";
    }
  }

  @Command(name = "autostart", mixinStandardHelpOptions = true,
      description = "Makes the VM start (on) or not (off) when the host boots.")
  static final class Autostart extends Sending {
    @Parameters(index = "1", paramLabel = "on|off", description = "on or off")
    String setting;

    @Override
    String verb() {
      return "autostart";
    }

    @Override
    public Integer call() throws Exception {
      String s = setting.toLowerCase(Locale.ROOT);
      if (!s.equals("on") && !s.equals("off")) {
        parent.err.println("wirt: autostart takes on or off, not '" + setting + "'");
        return ExitCode.USAGE.code();
      }
      setting = s;
      return super.call();
    }

    @Override
    String content() {
      return setting;
    }
  }

  /** Commands that only read the tree. */
  abstract static class Reading implements Callable<Integer> {
    @ParentCommand WirtCommand parent;

    abstract int read(UserTree tree) throws IOException;

    @Override
    public Integer call() throws Exception {
      UserTree tree = parent.treeOrReport();
      if (tree == null) {
        return ExitCode.CONFIG.code();
      }
      if (!Files.isDirectory(tree.root())) {
        parent.err.println("wirt: there is no " + tree.root() + "; create it (mkdir "
            + tree.root() + ") and wirtd fills it in, if you are a member of its group");
        return ExitCode.UNAVAILABLE.code();
      }
      int code = read(tree);
      if (tree.daemon() instanceof UserTree.Daemon.Down down) {
        parent.err.println("wirt: note: " + down.why() + "; what is shown may be old");
      }
      return code;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Lists your VMs: state, vCPUs, memory, autostart, addresses.")
  static final class ListVms extends Reading {
    @Option(names = "--json", description = "print the VMs' status.json documents as one array")
    boolean json;

    @Override
    int read(UserTree tree) throws IOException {
      ArrayNode all = Json.MAPPER.createArrayNode();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"VM", "STATE", "VCPUS", "MEMORY", "AUTOSTART", "ADDRESSES"});
      for (String vm : tree.vms()) {
        Optional<JsonNode> s = tree.status(vm);
        s.ifPresent(all::add);
        JsonNode n = s.orElse(Json.MAPPER.createObjectNode());
        rows.add(new String[] {vm, n.path("state").asText("unknown"),
            n.has("vcpus") ? n.get("vcpus").asText() : "-",
            n.has("memoryMiB") ? n.get("memoryMiB").asText() + " MiB" : "-",
            n.has("autostart") ? (n.get("autostart").asBoolean() ? "on" : "off") : "-",
            addresses(n)});
      }
      if (json) {
        parent.out.println(all.toPrettyString());
      } else if (rows.size() == 1) {
        parent.out.println("you have no VMs yet (ask an admin: wirtctl assign)");
      } else {
        DaemonCommands.Table.print(parent.out, rows);
      }
      return ExitCode.OK.code();
    }

    private static String addresses(JsonNode n) {
      List<String> a = new ArrayList<>();
      for (JsonNode addr : n.path("addresses")) {
        a.add(addr.path("ip").asText() + "/" + addr.path("prefix").asText());
      }
      return a.isEmpty() ? "-" : String.join(",", a);
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows a VM's status.json: state, reason, resources, last command.")
  static final class Status extends Reading {
    @Parameters(index = "0", paramLabel = "<vm>") String vm;

    @Option(names = "--json", description = "print status.json as it is")
    boolean json;

    @Override
    int read(UserTree tree) throws IOException {
      if (!parent.isVmOrReport(vm)) {
        return ExitCode.USAGE.code();
      }
      Optional<JsonNode> s = tree.status(vm);
      if (s.isEmpty()) {
        parent.err.println("wirt: no status for VM '" + vm + "' (no " + tree.root()
            .resolve("info/vm/" + vm + "/status.json") + ")");
        return ExitCode.USAGE.code();
      }
      if (json) {
        parent.out.println(s.get().toPrettyString());
        return ExitCode.OK.code();
      }
      s.get().fields().forEachRemaining(e -> parent.out.printf("%-12s %s%n", e.getKey() + ":",
          e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
      return ExitCode.OK.code();
    }
  }

  @Command(name = "log", mixinStandardHelpOptions = true,
      description = "Shows the end of a VM's log (~/wirt/logs/vm/<vm>.log).")
  static final class Log extends Reading {
    @Parameters(index = "0", paramLabel = "<vm>") String vm;

    @Option(names = {"-n", "--lines"}, defaultValue = "20", description = "lines (default: ${DEFAULT-VALUE})")
    int lines;

    @Override
    int read(UserTree tree) throws IOException {
      if (!parent.isVmOrReport(vm)) {
        return ExitCode.USAGE.code();
      }
      tree.tail("logs/vm/" + vm + ".log", lines).forEach(parent.out::println);
      return ExitCode.OK.code();
    }
  }

  @Command(name = "history", mixinStandardHelpOptions = true,
      description = "Shows your last commands and their outcomes (~/wirt/logs/history.log).")
  static final class History extends Reading {
    @Option(names = {"-n", "--lines"}, defaultValue = "20", description = "commands (default: ${DEFAULT-VALUE})")
    int lines;

    @Option(names = "--json", description = "print the history lines as they are (JSON)")
    boolean json;

    @Override
    int read(UserTree tree) throws IOException {
      List<String> history = tree.tail("logs/history.log", lines);
      if (json) {
        history.forEach(parent.out::println);
        return ExitCode.OK.code();
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"TIME", "VM", "VERB", "RESULT", "MESSAGE"});
      for (String line : history) {
        JsonNode h = Json.MAPPER.readTree(line);
        rows.add(new String[] {h.path("time").asText().replaceFirst("\\.\\d+Z$", "Z"),
            h.path("vm").asText(), h.path("verb").asText(), h.path("result").asText(),
            h.path("message").asText()});
      }
      if (rows.size() == 1) {
        parent.out.println("no commands yet");
      } else {
        DaemonCommands.Table.print(parent.out, rows);
      }
      return ExitCode.OK.code();
    }
  }

  @Command(name = "quota", mixinStandardHelpOptions = true,
      description = "Shows your limits and what you use (~/wirt/info/quota.json).")
  static final class Quota extends Reading {
    @Override
    int read(UserTree tree) throws IOException {
      Optional<JsonNode> q = tree.json(tree.root().resolve("info/quota.json"));
      if (q.isEmpty()) {
        parent.out.println("no quota information: wirtd writes ~/wirt/info/quota.json once VM "
            + "provisioning is enabled");
        return ExitCode.OK.code();
      }
      parent.out.println(q.get().toPrettyString());
      return ExitCode.OK.code();
    }
  }
}
