package org.wirt.hypervisor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.LibvirtUris;

/**
 * The {@link Hypervisor} backed by one libvirt connection. Safe for concurrent use: libvirt
 * connections are thread-safe and libvirt keeps its last error per thread.
 *
 * <p>Owner metadata lives in the {@code <metadata>} of each domain as an element {@code owner}
 * in the namespace {@value #OWNER_NAMESPACE} with the prefix {@code wirt} (SPEC 3).
 */
public final class LibvirtHypervisor implements Hypervisor {
  /** The XML namespace of wirt's owner metadata. */
  public static final String OWNER_NAMESPACE = OwnerMetadata.NAMESPACE;

  private static final Logger log = LoggerFactory.getLogger(LibvirtHypervisor.class);
  private static final int REBOOT_ACPI = Domain.RebootFlags.ACPI_POWER_BTN;
  private static final Duration JOB_POLL = Duration.ofMillis(100);
  private static final String UNKNOWN = "(unknown domain)";

  private final String uri;
  private final Connect connect;
  private final LibvirtHandles handles;
  private final Clock clock;
  private final KnownNames names = new KnownNames();
  private final LifecycleRelay relay = new LifecycleRelay(names);
  private final AtomicBoolean closed = new AtomicBoolean();

  private LibvirtHypervisor(String uri, Connect connect, Clock clock) {
    this.uri = Objects.requireNonNull(uri, "uri");
    this.connect = Objects.requireNonNull(connect, "connect");
    this.handles = new LibvirtHandles(connect);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Kept in a field: libvirt holds only a native pointer to the callback. */
  private static final org.libvirt.jna.Libvirt.VirErrorCallback SILENT = (data, error) -> { };

  /**
   * Connects to libvirt at {@code uri} (e.g. {@code qemu:///system}, {@code test:///default}) and
   * starts receiving lifecycle events.
   *
   * @throws HypervisorException marked {@linkplain HypervisorException#unreachable() unreachable}
   *     when the connection cannot be opened
   */
  public static LibvirtHypervisor open(String uri) throws HypervisorException {
    return open(uri, Clock.systemUTC());
  }

  /** As {@link #open(String)}, with the clock that times waits for libvirt's jobs. */
  public static LibvirtHypervisor open(String uri, Clock clock) throws HypervisorException {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(clock, "clock");
    Optional<String> problem = LibvirtUris.problem(uri);
    if (problem.isPresent()) {
      // Checked here too, not only in the configuration: every URI opened as root is.
      throw new HypervisorException("refusing to connect to libvirt: 'libvirtUri' is \"" + uri
          + "\", which " + problem.get() + "; accepted: " + LibvirtUris.ACCEPTED);
    }
    EventLoop.acquire();
    Connect connect = null;
    try {
      // libvirt's default handler prints every error to stderr, including expected ones such as
      // "metadata not found" for domains wirt does not manage; wirt reports errors itself.
      Connect.setErrorCallback(SILENT);
      connect = new Connect(uri, false);
      LibvirtHypervisor hypervisor = new LibvirtHypervisor(uri, connect, clock);
      connect.addLifecycleListener(hypervisor.relay);
      log.info("connected to libvirt uri={}", uri);
      return hypervisor;
    } catch (LibvirtException e) {
      closeQuietly(connect);
      EventLoop.release();
      HypervisorException failure = LibvirtErrors.failure("connect to " + uri, e);
      throw new HypervisorException(failure.getMessage(), true, e);
    }
  }

  /** Returns the URI this hypervisor is connected to. */
  public String uri() {
    return uri;
  }

  @Override
  public List<ManagedDomain> managedDomains() throws HypervisorException {
    List<ManagedDomain> managed = new ArrayList<>();
    for (Domain domain : allDomains()) {
      try {
        OwnerElement.read(domain).ifPresent(owner -> managed.add(managed(domain, owner)));
      } catch (LibvirtException e) {
        if (!LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
          throw LibvirtErrors.failure("read owner of " + LibvirtHandles.nameOr(domain, UNKNOWN), e);
        }
      } finally {
        LibvirtHandles.free(domain);
      }
    }
    return managed;
  }

  @Override
  public Optional<ManagedDomain> managedDomain(UUID uuid) throws HypervisorException {
    return onDomain("look up", uuid, Optional::empty, domain -> {
      try {
        return OwnerElement.read(domain).map(owner -> managed(domain, owner));
      } catch (LibvirtException e) {
        if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
          return Optional.empty();
        }
        throw LibvirtErrors.failure("read owner of " + LibvirtHandles.nameOr(domain, UNKNOWN), e);
      }
    });
  }

  @Override
  public DomainStatus status(UUID uuid) throws HypervisorException {
    Absent<DomainStatus> gone = () -> DomainStatus.undefined(uuid, names.of(uuid));
    return onDomain("read status of", uuid, gone, domain -> {
      String name = LibvirtHandles.nameOr(domain, UNKNOWN);
      try {
        return DomainReadings.status(uuid, name, domain);
      } catch (NativeDomain.NativeCallException e) {
        if (e.error() != null && e.error().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
          return DomainStatus.undefined(uuid, name);
        }
        throw LibvirtErrors.failure("read status of " + name, e.error(), e);
      } catch (LibvirtException e) {
        if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
          return DomainStatus.undefined(uuid, name);
        }
        throw LibvirtErrors.failure("read status of " + name, e);
      }
    });
  }

  @Override
  public Optional<DomainMetrics> metrics(UUID uuid) throws HypervisorException {
    return onDomain("read metrics of", uuid, Optional::empty, domain -> {
      String name = LibvirtHandles.nameOr(domain, UNKNOWN);
      try {
        return DomainMeters.read(uuid, name, domain);
      } catch (NativeDomain.NativeCallException e) {
        if (e.error() != null && e.error().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
          return Optional.empty();
        }
        throw LibvirtErrors.failure("read metrics of " + name, e.error(), e);
      } catch (LibvirtException e) {
        // Gone, or stopped between the state and the XML: nothing runs to be measured.
        if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)
            || LibvirtErrors.is(e, ErrorNumber.VIR_ERR_OPERATION_INVALID)) {
          return Optional.empty();
        }
        throw LibvirtErrors.failure("read metrics of " + name, e);
      }
    });
  }

  @Override
  public void act(DomainAction action, UUID uuid) throws HypervisorException {
    query(action.attempt(), uuid, domain -> {
      switch (action) {
        case START -> domain.create();
        case SHUTDOWN -> domain.shutdown();
        case DESTROY -> domain.destroy();
        case REBOOT -> domain.reboot(REBOOT_ACPI);
        case RESET -> domain.reset();
        case SUSPEND -> domain.suspend();
        case RESUME -> domain.resume();
        default -> throw new IllegalArgumentException("unknown action " + action);
      }
      return null;
    });
  }

  @Override
  public void setAutostart(UUID uuid, boolean enabled) throws HypervisorException {
    query(enabled ? "enable autostart of" : "disable autostart of", uuid, domain -> {
      domain.setAutostart(enabled);
      return null;
    });
  }

  @Override
  public ManagedDomain assign(String domainName, Owner owner) throws HypervisorException {
    Objects.requireNonNull(owner, "owner");
    String xml;
    try {
      xml = OwnerMetadata.toXml(owner);
    } catch (IllegalArgumentException e) {
      throw new HypervisorException("assign " + domainName + ": " + e.getMessage(), false, e);
    }
    return byName("assign", domainName, domain -> {
      OwnerElement.write(domain, xml);
      ManagedDomain assigned = managed(domain, owner);
      log.info("assigned domain={} uuid={} user={} uid={} vm={}",
          assigned.name(), assigned.uuid(), owner.user(), owner.uid(), owner.vm());
      return assigned;
    });
  }

  @Override
  public Optional<Owner> unassign(String domainName) throws HypervisorException {
    return byName("unassign", domainName, domain -> {
      Optional<Owner> previous = OwnerElement.read(domain);
      OwnerElement.write(domain, null);
      log.info("unassigned domain={} previous={}", domainName, previous.orElse(null));
      return previous;
    });
  }

  @Override
  public Storage storage() throws HypervisorException {
    ensureOpen("use storage");
    return new LibvirtStorage(connect, handles);
  }

  @Override
  public void onLifecycle(Consumer<LifecycleEvent> listener) throws HypervisorException {
    Objects.requireNonNull(listener, "listener");
    ensureOpen("listen for events");
    relay.add(listener);
  }

  /**
   * Defines (or redefines) a persistent domain from libvirt domain XML.
   *
   * @return the domain's UUID
   */
  public UUID define(String domainXml) throws HypervisorException {
    ensureOpen("define domain");
    return LibvirtErrors.during("define domain",
        () -> LibvirtHandles.using(connect.domainDefineXML(domainXml), names::remember));
  }

  @Override
  public ManagedDomain define(String domainXml, Owner owner) throws HypervisorException {
    UUID uuid = define(domainXml);
    return assign(query("read name of", uuid, Domain::getName), owner);
  }

  /** Removes a shut-off domain's persistent definition (a running one becomes transient). */
  public void undefine(UUID uuid) throws HypervisorException {
    query("undefine", uuid, domain -> {
      domain.undefine();
      return null;
    });
  }

  /** Returns the domain's live XML description (or its persistent one when shut off). */
  public String xml(UUID uuid) throws HypervisorException {
    return query("read XML of", uuid, domain -> domain.getXMLDesc(0));
  }

  /** Returns the UUID of the domain with this name, if there is one. */
  public Optional<UUID> uuidOf(String domainName) throws HypervisorException {
    ensureOpen("look up " + domainName);
    return LibvirtErrors.during("look up " + domainName, () -> {
      Optional<Domain> found = handles.domain(domainName);
      return found.isEmpty() ? Optional.empty()
          : Optional.of(LibvirtHandles.using(found.get(), names::remember));
    });
  }

  /** Returns true while the connection to libvirt works. */
  @Override
  public boolean isAlive() {
    try {
      return !closed.get() && connect.isAlive();
    } catch (LibvirtException e) {
      return false;
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      connect.removeLifecycleListener(relay);
    } catch (LibvirtException | RuntimeException e) {
      log.debug("cannot remove lifecycle listener uri={}", uri, e);
    }
    closeQuietly(connect);
    EventLoop.release();
    log.info("disconnected from libvirt uri={}", uri);
  }

  @Override
  public void awaitNoJob(UUID uuid, Duration max) throws HypervisorException {
    Instant deadline = clock.instant().plus(max);
    while (true) {
      boolean busy = query("check the job of", uuid, domain -> {
        try {
          return NativeDomain.busy(domain);
        } catch (NativeDomain.NativeCallException e) {
          // A domain not running has no control info (nor has the test driver); a start job
          // shows once QEMU is launched, and that is when a state could be misread.
          log.debug("no control info uuid={}", uuid, e);
          return false;
        }
      });
      if (!busy) {
        return;
      }
      if (clock.instant().isAfter(deadline)) {
        log.warn("libvirt still runs a job on uuid={} after {} s; going on", uuid, max.toSeconds());
        return;
      }
      try {
        Thread.sleep(JOB_POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Runs {@code call} on the domain with this UUID; a domain libvirt does not have is an error
   * that names it by the name it last had.
   */
  <T> T query(String attempt, UUID uuid, LibvirtHandles.Use<Domain, T> call) throws HypervisorException {
    return onDomain(attempt, uuid, () -> {
      throw new HypervisorException(attempt + " " + names.of(uuid)
          + ": Domain not found: no domain with UUID " + uuid);
    }, call);
  }

  /** What to answer when there is no such domain. */
  @FunctionalInterface
  private interface Absent<T> {
    T answer() throws HypervisorException;
  }

  /**
   * Looks the domain up by UUID, runs {@code call} on it and frees it; {@code absent} answers if
   * libvirt has no such domain. A libvirt error of {@code call} is a failure to "attempt name".
   */
  private <T> T onDomain(String attempt, UUID uuid, Absent<T> absent, LibvirtHandles.Use<Domain, T> call)
      throws HypervisorException {
    Objects.requireNonNull(uuid, "uuid");
    String before = attempt + " " + names.of(uuid);
    ensureOpen(before);
    Optional<Domain> found = LibvirtErrors.during(before, () -> handles.domain(uuid));
    if (found.isEmpty()) {
      return absent.answer();
    }
    Domain domain = found.get();
    try {
      LibvirtErrors.during(before, () -> names.remember(domain));
      String name = LibvirtHandles.nameOr(domain, UNKNOWN);
      T result = LibvirtErrors.during(attempt + " " + name, () -> call.apply(domain));
      log.debug("done attempt={} domain={} uuid={}", attempt, name, uuid);
      return result;
    } finally {
      LibvirtHandles.free(domain);
    }
  }

  /** Runs {@code use} on the domain with this name and frees it; no such domain is an error. */
  private <T> T byName(String attempt, String domainName, LibvirtHandles.Use<Domain, T> use)
      throws HypervisorException {
    Objects.requireNonNull(domainName, "domainName");
    String what = attempt + " " + domainName;
    ensureOpen(what);
    return LibvirtErrors.during(what, () -> LibvirtHandles.using(connect.domainLookupByName(domainName),
        domain -> {
          names.remember(domain);
          return use.apply(domain);
        }));
  }

  /** Lists running and defined domains; one that starts while we list appears once. */
  private Collection<Domain> allDomains() throws HypervisorException {
    ensureOpen("list domains");
    Map<UUID, Domain> domains = new LinkedHashMap<>();
    try {
      for (int id : connect.listDomains()) {
        addOnce(domains, handles.domain(id));
      }
      for (String name : connect.listDefinedDomains()) {
        addOnce(domains, handles.domain(name));
      }
      return domains.values();
    } catch (LibvirtException e) {
      domains.values().forEach(LibvirtHandles::free);
      throw LibvirtErrors.failure("list domains", e);
    }
  }

  private void addOnce(Map<UUID, Domain> domains, Optional<Domain> found) throws LibvirtException {
    if (found.isEmpty()) {
      return;
    }
    Domain domain = found.get();
    UUID uuid;
    try {
      uuid = names.remember(domain);
    } catch (LibvirtException e) {
      LibvirtHandles.free(domain);
      throw e;
    }
    if (domains.putIfAbsent(uuid, domain) != null) {
      LibvirtHandles.free(domain);
    }
  }

  private ManagedDomain managed(Domain domain, Owner owner) {
    try {
      return new ManagedDomain(UUID.fromString(domain.getUUIDString()), domain.getName(), owner);
    } catch (LibvirtException e) {
      // Name and UUID are held by the client-side object; libvirt does not fail to hand them out.
      throw new IllegalStateException("libvirt failed to report a domain's UUID or name", e);
    }
  }

  private void ensureOpen(String attempt) throws HypervisorException {
    if (closed.get()) {
      throw new HypervisorException(attempt + ": connection to " + uri + " is closed", true, null);
    }
  }

  private static void closeQuietly(Connect connect) {
    if (connect == null) {
      return;
    }
    try {
      connect.close();
    } catch (LibvirtException e) {
      log.debug("cannot close libvirt connection", e);
    }
  }
}
