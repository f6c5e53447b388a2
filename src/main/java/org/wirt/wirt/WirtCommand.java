package org.wirt.wirt;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import org.wirt.command.Names;
import org.wirt.config.Config;
import org.wirt.config.ConfigException;
import org.wirt.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wirt}: the user's CLI (SPEC 10). Every command it sends is a file in the user's own
 * {@code ~/wirt/command}, written the atomic way with a fresh tag ({@link Sending}); it then waits
 * for {@code results/<tag>.json} and exits 0 on {@code ok}, 1 on {@code failed}, 5 when refused, 4
 * when wirtd is not serving, 6 when no result came in time. The rest only read the tree ({@link
 * ReadCommands}).
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
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public static ExitCode run(PrintWriter out, PrintWriter err, String... args) {
    return Cli.execute(new WirtCommand(out, err, Clock.systemUTC()), SUBCOMMANDS, out, err, args);
  }

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("list", ReadCommands.ListVms.class);
    m.put("status", ReadCommands.Status.class);
    m.put("top", ReadCommands.Top.class);
    m.put("start", VmVerbs.Start.class);
    m.put("stop", VmVerbs.Stop.class);
    m.put("destroy", VmVerbs.Destroy.class);
    m.put("reboot", VmVerbs.Reboot.class);
    m.put("reset", VmVerbs.Reset.class);
    m.put("suspend", VmVerbs.Suspend.class);
    m.put("resume", VmVerbs.Resume.class);
    m.put("autostart", VmVerbs.Autostart.class);
    m.put("log", ReadCommands.Log.class);
    m.put("history", ReadCommands.History.class);
    m.put("quota", ReadCommands.Quota.class);
    m.put("create", ProvisionCommands.Create.class);
    m.put("delete", ProvisionCommands.Delete.class);
    m.put("config", ProvisionCommands.Config.class);
    m.put("snapshot", ProvisionCommands.Snapshot.class);
    m.put("revert", ProvisionCommands.Revert.class);
    m.put("snapshot-delete", ProvisionCommands.SnapshotDelete.class);
    m.put("consolidate", ProvisionCommands.Consolidate.class);
    m.put("console", ReachCommands.Console.class);
    m.put("ssh", ReachCommands.Ssh.class);
    m.put("domain", DomainCommands.class);
    return m;
  }

  @Override
  public Integer call() {
    err.println("wirt: name a command: list, status, top, start, stop, destroy, reboot, reset,"
        + " suspend, resume, autostart, log, history, quota, console, ssh, domain (wirt --help)");
    return ExitCode.USAGE.code();
  }

  /** The user's tree: {@code --tree}, else {@code ~/<treeDir>} of the configuration. */
  UserTree tree() throws Cli.Exit {
    if (treeDir != null) {
      return new UserTree(treeDir.toAbsolutePath(), clock);
    }
    String name = "wirt";
    if (Files.isReadable(config)) {
      try {
        name = ConfigLoader.load(config).treeDir();
      } catch (ConfigException e) {
        throw new Cli.Exit(ExitCode.CONFIG, "wirt: " + e.getMessage());
      }
    } else if (!config.equals(ConfigLoader.DEFAULT_PATH)) {
      throw new Cli.Exit(ExitCode.CONFIG, "wirt: " + config + ": cannot read it");
    }
    return new UserTree(Path.of(System.getProperty("user.home")).resolve(name), clock);
  }

  /**
   * wirtd's configuration: {@code --config}, or the defaults when the default file is not there
   * or not readable (as {@link #tree} reads it).
   */
  Config config() throws Cli.Exit {
    if (Files.isReadable(config)) {
      try {
        return ConfigLoader.load(config);
      } catch (ConfigException e) {
        throw new Cli.Exit(ExitCode.CONFIG, "wirt: " + e.getMessage());
      }
    }
    if (!config.equals(ConfigLoader.DEFAULT_PATH)) {
      throw new Cli.Exit(ExitCode.CONFIG, "wirt: " + config + ": cannot read it");
    }
    return ConfigLoader.defaults();
  }

  /** Whether {@code vm} is a valid VM name; says on stderr what is accepted if not. */
  boolean isVmOrReport(String vm) {
    if (Names.isVm(vm)) {
      return true;
    }
    err.println("wirt: '" + vm + "' is not a VM name; a VM name is " + Names.VM_RULE);
    return false;
  }

  Clock clock() {
    return clock;
  }
}
