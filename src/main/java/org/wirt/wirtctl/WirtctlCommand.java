package org.wirt.wirtctl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import org.wirt.command.Names;
import org.wirt.config.Config;
import org.wirt.config.ConfigException;
import org.wirt.config.ConfigLoader;
import org.wirt.control.ControlClient;
import org.wirt.hypervisor.DomainNames;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.posix.Nss;
import org.wirt.posix.Passwd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code wirtctl}: the admin's CLI, run as root or through sudo (SPEC 10). */
@Command(name = "wirtctl", mixinStandardHelpOptions = true, version = "wirtctl 0.1.0",
    description = {"Administers wirt: asks the running wirtd how it does (status, users, queue),",
        "tells it to reload or drain, and gives libvirt domains to users and takes them back.",
        "Run it as root, or as a member of the admin group through sudo."})
public final class WirtctlCommand implements Callable<Integer> {
  /**
   * The subcommands, in the order of {@code wirtctl --help}, and the options that take a value:
   * registered as a command line needs them (Cli.execute), not in the annotation.
   */
  public static final Cli.Subcommands SUBCOMMANDS = new Cli.Subcommands(subcommands(),
      Set.of("--config"));

  @Option(names = "--config", paramLabel = "FILE", description = "configuration file (default: ${DEFAULT-VALUE})")
  Path config = Path.of(ConfigLoader.DEFAULT_FILE);

  final Caller caller;
  final PrintWriter out;
  final PrintWriter err;

  private WirtctlCommand(Caller caller, PrintWriter out, PrintWriter err) {
    this.caller = Objects.requireNonNull(caller, "caller");
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
  }

  /**
   * The installed wirtctl: who the caller is decides what it may name; a restricted caller's
   * environment is checked and cleared first (SPEC 8). Changes this process's environment.
   */
  public static ExitCode main(PrintWriter out, PrintWriter err, String... args) {
    AdminEnvironment.beforeNative();
    Map<String, String> env = System.getenv();
    Caller caller = Caller.fromProcess(env, Nss.system());
    if (caller.restricted()) {
      Optional<String> refusal = AdminEnvironment.refusal(env);
      if (refusal.isPresent()) {
        err.println("wirtctl: " + refusal.get());
        return ExitCode.USAGE;
      }
      try {
        AdminEnvironment.scrub(env);
      } catch (IOException e) {
        err.println("wirtctl: cannot clear the environment: " + e.getMessage());
        return ExitCode.FAILED;
      }
    }
    return run(caller, out, err, args);
  }

  /** Runs wirtctl for the caller of this process, leaving its environment alone. */
  public static ExitCode run(PrintWriter out, PrintWriter err, String... args) {
    return run(Caller.fromProcess(System.getenv(), Nss.system()), out, err, args);
  }

  /** Runs wirtctl for {@code caller}. */
  public static ExitCode run(Caller caller, PrintWriter out, PrintWriter err, String... args) {
    return Cli.execute(new WirtctlCommand(caller, out, err), SUBCOMMANDS, out, err, args);
  }

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("status", DaemonCommands.Status.class);
    m.put("users", DaemonCommands.Users.class);
    m.put("queue", DaemonCommands.Queue.class);
    m.put("reload", DaemonCommands.Reload.class);
    m.put("drain", DaemonCommands.Drain.class);
    m.put("assign", Assign.class);
    m.put("unassign", Unassign.class);
    m.put("image", ImageCommand.class);
    m.put("migrate-tree", MigrateTreeCommand.class);
    return m;
  }

  @Override
  public Integer call() {
    err.println("wirtctl: name a command: status, users, queue, reload, drain, assign, unassign, image or migrate-tree"
        + " (wirtctl --help)");
    return ExitCode.USAGE.code();
  }

  /**
   * The configuration. A restricted caller (through sudo) gets only {@code /etc/wirt/wirt.json},
   * and only while root alone may change it: a file they wrote could name any libvirt URI or
   * directory, all used as root.
   */
  Config loadConfig() throws ConfigException {
    if (!caller.restricted()) {
      return ConfigLoader.load(config);
    }
    if (!config.toAbsolutePath().normalize().equals(ConfigLoader.DEFAULT_PATH)) {
      throw new ConfigException("--config " + config + " is refused: run through sudo (or by "
          + "anyone but root), wirtctl reads only " + ConfigLoader.DEFAULT_PATH + ", which root "
          + "owns; run it as root itself to use another file");
    }
    return ConfigLoader.loadTrusted(ConfigLoader.DEFAULT_PATH);
  }

  /** The configuration; a {@link Cli.Exit} with the reason if it cannot be read. */
  Config config() throws Cli.Exit {
    try {
      return loadConfig();
    } catch (ConfigException e) {
      throw new Cli.Exit(ExitCode.CONFIG, "wirtctl: " + e.getMessage());
    }
  }

  /** What a command does with libvirt. */
  @FunctionalInterface
  interface LibvirtAction {
    void run(Hypervisor hv) throws IOException, HypervisorException;
  }

  /**
   * Runs {@code action} on a connection to {@code cfg}'s libvirt; a failure is said on stderr
   * after {@code prefix}, exit status 1.
   */
  int withLibvirt(Config cfg, String prefix, LibvirtAction action) {
    try (Hypervisor hv = LibvirtHypervisor.open(cfg.libvirtUri())) {
      action.run(hv);
      return ExitCode.OK.code();
    } catch (HypervisorException | IOException | IllegalArgumentException
        | IllegalStateException e) {
      err.println(prefix + e.getMessage());
      return ExitCode.FAILED.code();
    }
  }

  /**
   * Tells a running wirtd that ownership changed, so the VM shows in (or leaves) the user's tree
   * at once rather than at its next full read of ownership (within 5 minutes). A wirtd that is
   * not running reads ownership when it starts: that is said, not treated as a failure.
   */
  void tellDaemon(Config cfg) {
    try {
      new ControlClient(cfg.stateDir()).ask(ControlClient.request("ownership"));
    } catch (ControlClient.DaemonDown e) {
      out.println("(wirtd is not running; it reads ownership when it starts)");
    } catch (ControlClient.Refused | IOException e) {
      err.println("wirtctl: warning: wirtd was not told (" + e.getMessage() + "); it reads "
          + "ownership again within 5 minutes");
    }
  }

  /** {@code wirtctl assign <domain> <user> [<vm>]}. */
  @Command(name = "assign", mixinStandardHelpOptions = true,
      description = {"Gives an existing libvirt domain to a user, as their VM <vm>.",
          "Without <vm>, the VM is named from the domain name by domainNamePattern",
          "(alice-web with {user}-{vm} becomes web), else it is the domain name."})
  static final class Assign implements Callable<Integer> {
    @ParentCommand WirtctlCommand parent;
    @Parameters(index = "0", paramLabel = "<domain>") String domain;
    @Parameters(index = "1", paramLabel = "<user>") String user;
    @Parameters(index = "2", paramLabel = "<vm>", arity = "0..1") String vm;

    @Override
    public Integer call() throws Exception {
      Config cfg = parent.config();
      Optional<Passwd> account = Nss.system().user(user);
      if (account.isEmpty()) {
        parent.err.println("wirtctl: no user '" + user + "' (getent passwd " + user + " finds nothing)");
        return ExitCode.FAILED.code();
      }
      String name = vm != null ? vm
          : DomainNames.vmFromDomainName(cfg.domainNamePattern(), user, domain).orElse(domain);
      if (!Names.isVm(name)) {
        parent.err.println("wirtctl: '" + name + "' cannot be a VM name: a VM name is "
            + Names.VM_RULE + "; give one as the third argument");
        return ExitCode.USAGE.code();
      }
      int uid = account.get().uid();
      return parent.withLibvirt(cfg, "wirtctl: ", hv -> {
        ManagedDomain d = hv.assign(domain, new Owner(user, uid, name));
        parent.out.println("assigned " + d.name() + " to " + user + " (uid " + uid + ") as VM '"
            + name + "': ~" + user + "/" + cfg.treeDir() + "/command/vm/" + name + "/");
        parent.tellDaemon(cfg);
      });
    }
  }

  /** {@code wirtctl unassign <domain>}. */
  @Command(name = "unassign", mixinStandardHelpOptions = true,
      description = "Takes a domain back from its user: removes wirt's owner metadata.")
  static final class Unassign implements Callable<Integer> {
    @ParentCommand WirtctlCommand parent;
    @Parameters(index = "0", paramLabel = "<domain>") String domain;

    @Override
    public Integer call() throws Exception {
      Config cfg = parent.config();
      return parent.withLibvirt(cfg, "wirtctl: ", hv -> {
        Optional<Owner> owner = hv.unassign(domain);
        parent.out.println(owner
            .map(o -> "unassigned " + domain + " from " + o.user() + " (VM '" + o.vm() + "')")
            .orElse(domain + " had no owner; nothing changed"));
        if (owner.isPresent()) {
          parent.tellDaemon(cfg);
        }
      });
    }
  }
}
