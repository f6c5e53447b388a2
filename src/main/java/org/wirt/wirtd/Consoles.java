package org.wirt.wirtd;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.ConsoleConfig;
import org.wirt.console.ConsoleLogs;
import org.wirt.console.ConsoleServer;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.serve.Owners;
import org.wirt.serve.Roster;
import org.wirt.status.Recorder;
import org.wirt.status.StatusKeeper;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.HomeTree;

/**
 * The users' console sockets and the guest watch: every {@code console.addressPollSeconds},
 * running VMs' statuses are read again (a DHCP lease raises no event) and their console logs
 * copied into their owners' trees. Without a console directory (a demo as a plain user) wirtd
 * runs on without consoles.
 */
final class Consoles {
  private static final Logger log = LoggerFactory.getLogger(Consoles.class);

  private final ConsoleConfig config;
  private final String libvirtUri;
  private final Roster roster;
  private final Owners owners;
  private final StatusKeeper statuses;
  private final Recorder recorder;
  private final ThreadFailures failures;
  private final Clock clock;
  private final ConsoleLogs logs;
  private final ScheduledExecutorService guests;
  private volatile Optional<ConsoleServer> server = Optional.empty();

  Consoles(ConsoleConfig config, String libvirtUri, Roster roster, Owners owners,
      StatusKeeper statuses, Recorder recorder, ThreadFailures failures, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.libvirtUri = Objects.requireNonNull(libvirtUri, "libvirtUri");
    this.roster = Objects.requireNonNull(roster, "roster");
    this.owners = Objects.requireNonNull(owners, "owners");
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.failures = Objects.requireNonNull(failures, "failures");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.logs = new ConsoleLogs(config);
    this.guests = failures.executor("wirt-guests");
  }

  /** Opens the users' console sockets and starts the guest watch. */
  void start() {
    try {
      Files.createDirectories(config.logDir());
      server = Optional.of(new ConsoleServer(config, libvirtUri,
          (user, vm) -> {
            try {
              return owners.find(user, vm).map(d -> new ConsoleServer.Target(
                  d.uuid(), d.name()));
            } catch (HypervisorException e) {
              return Optional.empty();
            }
          }, recorder::auditNote, clock));
    } catch (IOException e) {
      log.warn("consoles unavailable runDir={} logDir={}", config.runDir(), config.logDir(), e);
    }
    guests.scheduleWithFixedDelay(failures.guard("wirt-guests", this::watchGuests),
        config.addressPoll().toMillis(), config.addressPoll().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The user is no longer served: their console socket goes. */
  void forget(String user) {
    server.ifPresent(s -> s.forget(user));
  }

  /** Stops the guest watch and closes every console. */
  void close() {
    guests.shutdownNow();
    server.ifPresent(ConsoleServer::close);
  }

  private void watchGuests() {
    for (HomeTree tree : roster.all()) {
      server.ifPresent(s -> s.serve(tree.identity()));
      statuses.refreshRunning(tree);
      for (ManagedDomain d : owners.ownedBy(tree.identity())) {
        logs.copy(tree, d.owner().vm(), d.name());
      }
    }
  }
}
