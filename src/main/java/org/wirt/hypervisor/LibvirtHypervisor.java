package org.wirt.hypervisor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInterface;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.LifecycleListener;
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
  private static final int METADATA_ELEMENT = Domain.MetadataType.ELEMENT;
  private static final int AFFECT_LIVE = 1;
  private static final int AFFECT_CONFIG = 2;
  private static final int REBOOT_ACPI = Domain.RebootFlags.ACPI_POWER_BTN;

  private final String uri;
  private final Connect connect;
  private final List<Consumer<LifecycleEvent>> listeners = new CopyOnWriteArrayList<>();
  private final LifecycleListener libvirtListener = this::dispatch;
  private final Map<UUID, String> lastKnownNames = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private LibvirtHypervisor(String uri, Connect connect) {
    this.uri = uri;
    this.connect = connect;
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
    Objects.requireNonNull(uri, "uri");
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
      LibvirtHypervisor hypervisor = new LibvirtHypervisor(uri, connect);
      connect.addLifecycleListener(hypervisor.libvirtListener);
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
        ownerOf(domain).ifPresent(owner -> managed.add(managed(domain, owner)));
      } catch (LibvirtException e) {
        if (!LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
          throw LibvirtErrors.failure("read owner of " + nameOrUnknown(domain), e);
        }
      } finally {
        free(domain);
      }
    }
    return managed;
  }

  @Override
  public Optional<ManagedDomain> managedDomain(UUID uuid) throws HypervisorException {
    Optional<Domain> found = find("look up", uuid);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Domain domain = found.get();
    try {
      return ownerOf(domain).map(owner -> managed(domain, owner));
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
        return Optional.empty();
      }
      throw LibvirtErrors.failure("read owner of " + nameOrUnknown(domain), e);
    } finally {
      free(domain);
    }
  }

  @Override
  public DomainStatus status(UUID uuid) throws HypervisorException {
    Optional<Domain> found = find("read status of", uuid);
    if (found.isEmpty()) {
      return DomainStatus.undefined(uuid, lastKnownName(uuid));
    }
    Domain domain = found.get();
    String name = nameOrUnknown(domain);
    try {
      NativeDomain.Snapshot snapshot = NativeDomain.snapshot(domain);
      DomainState state = DomainStates.state(snapshot.state());
      return new DomainStatus(
          uuid,
          name,
          state,
          DomainStates.reason(snapshot.state(), snapshot.reason()),
          snapshot.vcpus(),
          snapshot.memoryKiB() / 1024,
          domain.getAutostart(),
          state == DomainState.RUNNING ? addresses(domain) : List.of());
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
    } finally {
      free(domain);
    }
  }

  @Override
  public void start(UUID uuid) throws HypervisorException {
    act("start", uuid, Domain::create);
  }

  @Override
  public void shutdown(UUID uuid) throws HypervisorException {
    act("shutdown", uuid, Domain::shutdown);
  }

  @Override
  public void destroy(UUID uuid) throws HypervisorException {
    act("destroy", uuid, Domain::destroy);
  }

  @Override
  public void reboot(UUID uuid) throws HypervisorException {
    act("reboot", uuid, domain -> domain.reboot(REBOOT_ACPI));
  }

  @Override
  public void reset(UUID uuid) throws HypervisorException {
    act("reset", uuid, Domain::reset);
  }

  @Override
  public void suspend(UUID uuid) throws HypervisorException {
    act("suspend", uuid, Domain::suspend);
  }

  @Override
  public void resume(UUID uuid) throws HypervisorException {
    act("resume", uuid, Domain::resume);
  }

  @Override
  public void setAutostart(UUID uuid, boolean enabled) throws HypervisorException {
    act(enabled ? "enable autostart of" : "disable autostart of", uuid,
        domain -> domain.setAutostart(enabled));
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
    Domain domain = byName("assign", domainName);
    try {
      writeMetadata(domain, xml);
      ManagedDomain assigned = managed(domain, owner);
      log.info("assigned domain={} uuid={} user={} uid={} vm={}",
          assigned.name(), assigned.uuid(), owner.user(), owner.uid(), owner.vm());
      return assigned;
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("assign " + domainName, e);
    } finally {
      free(domain);
    }
  }

  @Override
  public Optional<Owner> unassign(String domainName) throws HypervisorException {
    Domain domain = byName("unassign", domainName);
    try {
      Optional<Owner> previous;
      try {
        previous = ownerOf(domain);
      } catch (LibvirtException e) {
        throw LibvirtErrors.failure("unassign " + domainName, e);
      }
      try {
        writeMetadata(domain, null);
      } catch (LibvirtException e) {
        throw LibvirtErrors.failure("unassign " + domainName, e);
      }
      log.info("unassigned domain={} previous={}", domainName, previous.orElse(null));
      return previous;
    } finally {
      free(domain);
    }
  }

  @Override
  public Storage storage() throws HypervisorException {
    ensureOpen("use storage");
    return new LibvirtStorage(connect);
  }

  @Override
  public void onLifecycle(Consumer<LifecycleEvent> listener) throws HypervisorException {
    Objects.requireNonNull(listener, "listener");
    ensureOpen("listen for events");
    listeners.add(listener);
  }

  /**
   * Defines (or redefines) a persistent domain from libvirt domain XML.
   *
   * @return the domain's UUID
   */
  public UUID define(String domainXml) throws HypervisorException {
    ensureOpen("define domain");
    try {
      Domain domain = connect.domainDefineXML(domainXml);
      try {
        return remember(domain);
      } finally {
        free(domain);
      }
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure("define domain", e);
    }
  }

  @Override
  public ManagedDomain define(String domainXml, Owner owner) throws HypervisorException {
    UUID uuid = define(domainXml);
    return assign(query("read name of", uuid, Domain::getName), owner);
  }

  /** Removes a shut-off domain's persistent definition (a running one becomes transient). */
  public void undefine(UUID uuid) throws HypervisorException {
    act("undefine", uuid, Domain::undefine);
  }

  /** Returns the domain's live XML description (or its persistent one when shut off). */
  public String xml(UUID uuid) throws HypervisorException {
    return query("read XML of", uuid, domain -> domain.getXMLDesc(0));
  }

  /** Returns the UUID of the domain with this name, if there is one. */
  public Optional<UUID> uuidOf(String domainName) throws HypervisorException {
    ensureOpen("look up " + domainName);
    try {
      Domain domain = connect.domainLookupByName(domainName);
      try {
        return Optional.of(remember(domain));
      } finally {
        free(domain);
      }
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
        return Optional.empty();
      }
      throw LibvirtErrors.failure("look up " + domainName, e);
    }
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
      connect.removeLifecycleListener(libvirtListener);
    } catch (LibvirtException | RuntimeException e) {
      log.debug("cannot remove lifecycle listener uri={}", uri, e);
    }
    closeQuietly(connect);
    EventLoop.release();
    log.info("disconnected from libvirt uri={}", uri);
  }

  @Override
  public void awaitNoJob(UUID uuid, java.time.Duration max) throws HypervisorException {
    long deadline = System.nanoTime() + max.toNanos();
    while (true) {
      boolean busy = query("check the job of", uuid, domain -> {
        try {
          return NativeDomain.busy(domain);
        } catch (NativeDomain.NativeCallException e) {
          // A domain not running has no control info (nor has the test driver); a start job
          // shows once QEMU is launched, and that is when a state could be misread.
          log.debug("no control info uuid={}: {}", uuid, e.getMessage());
          return false;
        }
      });
      if (!busy) {
        return;
      }
      if (System.nanoTime() > deadline) {
        log.warn("libvirt still runs a job on uuid={} after {} s; going on", uuid, max.toSeconds());
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @FunctionalInterface
  interface DomainCall<T> {
    T call(Domain domain) throws LibvirtException;
  }

  @FunctionalInterface
  private interface DomainAction {
    void run(Domain domain) throws LibvirtException;
  }

  private void act(String attempt, UUID uuid, DomainAction action) throws HypervisorException {
    query(attempt, uuid, domain -> {
      action.run(domain);
      return null;
    });
  }

  <T> T query(String attempt, UUID uuid, DomainCall<T> call) throws HypervisorException {
    Domain domain = find(attempt, uuid).orElseThrow(() -> new HypervisorException(
        attempt + " " + lastKnownName(uuid) + ": Domain not found: no domain with UUID " + uuid));
    String name = nameOrUnknown(domain);
    try {
      T result = call.call(domain);
      log.debug("done attempt={} domain={} uuid={}", attempt, name, uuid);
      return result;
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure(attempt + " " + name, e);
    } finally {
      free(domain);
    }
  }

  private Optional<Domain> find(String attempt, UUID uuid) throws HypervisorException {
    Objects.requireNonNull(uuid, "uuid");
    ensureOpen(attempt + " " + lastKnownName(uuid));
    try {
      Domain domain = connect.domainLookupByUUIDString(uuid.toString());
      remember(domain);
      return Optional.of(domain);
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
        return Optional.empty();
      }
      throw LibvirtErrors.failure(attempt + " " + lastKnownName(uuid), e);
    }
  }

  private Domain byName(String attempt, String domainName) throws HypervisorException {
    Objects.requireNonNull(domainName, "domainName");
    ensureOpen(attempt + " " + domainName);
    try {
      Domain domain = connect.domainLookupByName(domainName);
      remember(domain);
      return domain;
    } catch (LibvirtException e) {
      throw LibvirtErrors.failure(attempt + " " + domainName, e);
    }
  }

  /** Lists running and defined domains; one that starts while we list appears once. */
  private Collection<Domain> allDomains() throws HypervisorException {
    ensureOpen("list domains");
    Map<UUID, Domain> domains = new LinkedHashMap<>();
    try {
      for (int id : connect.listDomains()) {
        try {
          addOnce(domains, connect.domainLookupByID(id));
        } catch (LibvirtException e) {
          if (!LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
            throw e;
          }
        }
      }
      for (String name : connect.listDefinedDomains()) {
        try {
          addOnce(domains, connect.domainLookupByName(name));
        } catch (LibvirtException e) {
          if (!LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN)) {
            throw e;
          }
        }
      }
      return domains.values();
    } catch (LibvirtException e) {
      domains.values().forEach(LibvirtHypervisor::free);
      throw LibvirtErrors.failure("list domains", e);
    }
  }

  private void addOnce(Map<UUID, Domain> domains, Domain domain) throws LibvirtException {
    UUID uuid = remember(domain);
    if (domains.putIfAbsent(uuid, domain) != null) {
      free(domain);
    }
  }

  private Optional<Owner> ownerOf(Domain domain) throws LibvirtException {
    String xml;
    try {
      xml = domain.getMetadata(METADATA_ELEMENT, OWNER_NAMESPACE, 0);
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN_METADATA)) {
        return Optional.empty();
      }
      throw e;
    }
    try {
      return Optional.of(OwnerMetadata.parse(xml));
    } catch (IllegalArgumentException e) {
      log.warn("ignoring domain with malformed wirt metadata domain={} uuid={} problem={}",
          nameOrUnknown(domain), domain.getUUIDString(), e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Writes (or with {@code null} removes) the owner element in the persistent definition and, if
   * the domain runs, the live one, so both agree whichever libvirt reads next.
   */
  private static void writeMetadata(Domain domain, String xml) throws LibvirtException {
    for (int attempt = 1; ; attempt++) {
      int flags = (domain.isPersistent() == 1 ? AFFECT_CONFIG : 0)
          | (domain.isActive() == 1 ? AFFECT_LIVE : 0);
      try {
        domain.setMetadata(METADATA_ELEMENT, xml, xml == null ? null : OwnerMetadata.PREFIX,
            OWNER_NAMESPACE, flags);
        return;
      } catch (LibvirtException e) {
        // The domain started or stopped between our look and the write: look again, once.
        if (attempt > 1 || !LibvirtErrors.is(e, ErrorNumber.VIR_ERR_OPERATION_INVALID)) {
          throw e;
        }
      }
    }
  }

  private static List<DomainStatus.Address> addresses(Domain domain) {
    for (int source : new int[] {
        Domain.InterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
        Domain.InterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT}) {
      try {
        List<DomainStatus.Address> addresses = new ArrayList<>();
        for (DomainInterface iface : domain.interfaceAddresses(source, 0)) {
          for (DomainInterface.InterfaceAddress address : iface.addrs) {
            addresses.add(new DomainStatus.Address(
                iface.name, iface.hwAddr, address.address.getHostAddress(), address.prefixLength));
          }
        }
        if (!addresses.isEmpty()) {
          return addresses;
        }
      } catch (LibvirtException | RuntimeException e) {
        // No DHCP lease, no guest agent, no NIC at all: the guest simply has no known address.
        log.trace("no addresses source={}", source, e);
      }
    }
    return List.of();
  }

  private int dispatch(Domain domain, DomainEvent event) {
    try {
      UUID uuid = remember(domain);
      LifecycleEvent lifecycle = new LifecycleEvent(
          uuid, domain.getName(), lower(event.getType()), lower(event.getDetail()));
      log.debug("lifecycle domain={} uuid={} type={} detail={}",
          lifecycle.domain(), uuid, lifecycle.type(), lifecycle.detail());
      for (Consumer<LifecycleEvent> listener : listeners) {
        try {
          listener.accept(lifecycle);
        } catch (RuntimeException e) {
          log.error("lifecycle listener failed domain={} type={}", lifecycle.domain(), lifecycle.type(), e);
        }
      }
    } catch (LibvirtException | RuntimeException e) {
      log.warn("cannot read lifecycle event event={}", event, e);
    } finally {
      free(domain);
    }
    return 0;
  }

  private static String lower(Object value) {
    return value == null ? "unknown" : value.toString().toLowerCase(Locale.ROOT);
  }

  private UUID remember(Domain domain) throws LibvirtException {
    UUID uuid = UUID.fromString(domain.getUUIDString());
    lastKnownNames.put(uuid, domain.getName());
    return uuid;
  }

  private String lastKnownName(UUID uuid) {
    return lastKnownNames.getOrDefault(uuid, uuid.toString());
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

  private static String nameOrUnknown(Domain domain) {
    try {
      return domain.getName();
    } catch (LibvirtException e) {
      return "(unknown domain)";
    }
  }

  private static void free(Domain domain) {
    try {
      domain.free();
    } catch (LibvirtException e) {
      log.debug("cannot free domain handle", e);
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
