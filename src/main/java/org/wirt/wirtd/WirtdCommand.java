package org.wirt.wirtd;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import org.wirt.config.Config;
import org.wirt.config.ConfigException;
import org.wirt.config.ConfigLoader;
import org.wirt.control.ControlHandler;
import org.wirt.control.ControlSocket;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.ReconnectingHypervisor;
import org.wirt.journal.Journal;
import org.wirt.mail.Mailer;
import org.wirt.posix.Inotify;
import org.wirt.posix.Nss;
import org.wirt.posix.Passwd;
import org.wirt.posix.SystemdNotify;
import org.wirt.status.AuditLog;
import org.wirt.status.Notifier;
import org.wirt.status.Notifiers;
import org.wirt.status.Recorder;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.Identity;
import org.wirt.users.GroupMembers;
import org.wirt.users.ListedMembers;
import org.wirt.users.Members;
import org.wirt.wirtd.Daemon;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wirtd}: the daemon, in the foreground, logging to stdout (SPEC 10). */
@Command(name = "wirtd", mixinStandardHelpOptions = true, version = "wirtd 0.1.0",
    description = {
        "Runs the wirt daemon in the foreground: watches the group members' ~/wirt/command trees,",
        "performs their commands through libvirt and writes the outcomes back.",
        "Stops cleanly on SIGTERM or SIGINT."})
public final class WirtdCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(WirtdCommand.class);

  @Option(names = "--config", paramLabel = "FILE", description = "configuration file (default: ${DEFAULT-VALUE})")
  Path config = ConfigLoader.DEFAULT_PATH;

  @Option(names = "--demo", paramLabel = "DIR", description = {
      "run a self-contained demo: libvirt's test:///default driver, demo users' homes under",
      "DIR/home/<user>, the current Unix user's identity; no root, no libvirtd"})
  Path demo;

  private final PrintWriter out;
  private final PrintWriter err;

  private WirtdCommand(PrintWriter out, PrintWriter err) {
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
  }

  /** Parses the arguments and runs the daemon until it is stopped. */
  public static ExitCode run(PrintWriter out, PrintWriter err, String... args) {
    return Cli.execute(new WirtdCommand(out, err), out, err, args);
  }

  @Override
  public Integer call() throws Exception {
    // A thread that dies of what its loop did not catch, and a libvirt callback that throws, get
    // the policy every loop uses: out of memory halts with status 70 for systemd to restart.
    ThreadFailures failures = ThreadFailures.process();
    Thread.setDefaultUncaughtExceptionHandler(failures.uncaught());
    com.sun.jna.Native.setCallbackExceptionHandler(
        (callback, e) -> failures.caught("libvirt callback", e));
    Config cfg;
    Demo demoSetup = null;
    Nss nss = Nss.system();
    try {
      if (demo != null) {
        demoSetup = new Demo(demo, nss);
        cfg = demoSetup.config();
      } else {
        cfg = ConfigLoader.load(config);
      }
    } catch (ConfigException e) {
      err.println("wirtd: " + e.getMessage());
      return ExitCode.CONFIG.code();
    }
    try (FileLock lock = lock(cfg.stateDir())) {
      if (lock == null) {
        err.println("wirtd: another wirtd is running (it holds " + cfg.stateDir().resolve("wirtd.lock")
            + "); stop it first, or give this one another stateDir");
        return ExitCode.UNAVAILABLE.code();
      }
      return serve(cfg, nss, demoSetup);
    }
  }

  private int serve(Config cfg, Nss nss, Demo demoSetup) throws Exception {
    ReconnectingHypervisor hypervisor;
    try {
      hypervisor = ReconnectingHypervisor.open(cfg.libvirtUri(),
          () -> LibvirtHypervisor.open(cfg.libvirtUri()));
    } catch (HypervisorException e) {
      err.println("wirtd: cannot connect to libvirt at " + cfg.libvirtUri() + ": " + e.getMessage());
      return ExitCode.UNAVAILABLE.code();
    }
    Members members;
    if (demoSetup != null) {
      demoSetup.populate(hypervisor);
      members = demoSetup.members();
    } else {
      members = members(cfg, nss);
    }
    Clock clock = Clock.systemUTC();
    CountDownLatch stopped = new CountDownLatch(1);
    try (AuditLog audit = new AuditLog(cfg.logDir(), cfg.limits().auditRotateBytes(),
        cfg.limits().auditKept());
        Journal journal = Journal.open(cfg.stateDir());
        Mailer mailer = mailer(cfg, demoSetup != null, clock)) {
      Notifier notifier = mailer == null ? new LoggingNotifier()
          : Notifiers.of(new LoggingNotifier(), mailer);
      Daemon daemon = new Daemon(cfg, members, hypervisor, Inotify.open(), journal,
          new Recorder(clock, audit), notifier, clock);
      Thread hook = new Thread(() -> {
        SystemdNotify.stopping();
        daemon.close();
        stopped.countDown();
      }, "wirt-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      hypervisor.onConnectivity(daemon::libvirtConnectivity);
      daemon.start();
      if (demoSetup == null) {
        if (sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> reload(daemon, nss))
            == sun.misc.SignalHandler.SIG_IGN) {
          // The JVM does not take over a signal its parent ignored (nohup, some init scripts).
          log.warn("SIGHUP was ignored when wirtd started (nohup?), so it cannot reload on"
              + " SIGHUP; use wirtctl reload, or start wirtd without ignoring SIGHUP");
        }
      }
      try (ControlSocket control = ControlSocket.open(cfg.stateDir(), new ControlHandler(daemon,
          () -> reloadOrThrow(daemon, nss, demoSetup != null), clock), nss.euid())) {
        log.info("control socket {}", cfg.stateDir().resolve(ControlSocket.FILE));
        SystemdNotify.ready("serving " + daemon.userCount() + " users");
        if (demoSetup != null) {
          demoSetup.printWelcome(out);
        }
        stopped.await();
      }
    }
    return ExitCode.OK.code();
  }

  /** {@code wirtctl reload}: like SIGHUP, but the refusal goes back to the admin. */
  private String reloadOrThrow(Daemon daemon, Nss nss, boolean demo) {
    if (demo) {
      throw new IllegalStateException("the demo has no configuration file to reload");
    }
    Config next;
    try {
      next = ConfigLoader.load(config);
    } catch (ConfigException e) {
      // The message names the file, the key and what is accepted; a stack trace adds nothing.
      log.error("reload refused, keeping the running configuration: {}", e.getMessage());
      throw new IllegalArgumentException("refused, the running configuration is kept: "
          + e.getMessage());
    }
    daemon.reload(next, members(next, nss));
    return "configuration reloaded from " + config;
  }

  /** The mailer, started, or null where no mail is sent (the demo, or mail disabled). */
  private static Mailer mailer(Config cfg, boolean demo, Clock clock) throws IOException {
    if (demo || !cfg.mail().enabled()) {
      log.info("mail disabled: failures are logged only");
      return null;
    }
    Mailer mailer = Mailer.create(cfg.mail(), cfg.stateDir(), cfg.limits().outboxPerUser(), clock);
    mailer.start();
    log.info("mail via {}; user address {}, admin {}", cfg.mail().sendmail() != null
        ? cfg.mail().sendmail() : cfg.mail().smtpHost() + ":" + cfg.mail().smtpPort(),
        cfg.mail().userAddress(), cfg.mail().adminAddress());
    return mailer;
  }

  private static Members members(Config cfg, Nss nss) {
    return cfg.explicitUsers()
        .<Members>map(users -> new ListedMembers(users, name -> identity(nss, name)))
        .orElseGet(() -> new GroupMembers(nss, cfg.group()));
  }

  /** SIGHUP: reads the configuration file again; a bad one is refused and the old one kept. */
  private void reload(Daemon daemon, Nss nss) {
    try {
      Config next = ConfigLoader.load(config);
      daemon.reload(next, members(next, nss));
    } catch (ConfigException e) {
      log.error("reload refused, keeping the running configuration: {}", e.getMessage());
    } catch (RuntimeException e) {
      log.error("reload refused, keeping the running configuration file={}", config, e);
    }
  }

  static Identity identity(Nss nss, String name) {
    Passwd p = nss.user(name).orElseThrow(() -> new IllegalArgumentException(
        "users." + name + ": no such user in NSS (getent passwd " + name + ")"));
    return new Identity(p.name(), p.uid(), p.gid(), nss.groupList(p.name(), p.gid()));
  }

  /** Takes the instance lock, or returns null if another process holds it. */
  private static FileLock lock(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    // wirtd's own state (journal, outbox, control socket) is for its owner alone.
    Files.setPosixFilePermissions(stateDir,
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    FileChannel channel = FileChannel.open(stateDir.resolve("wirtd.lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = channel.tryLock();
    if (lock == null) {
      channel.close();
    }
    return lock;
  }
}
