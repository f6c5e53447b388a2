package org.wirt.hypervisor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which domain is whose, from the domains' owner metadata. A VM is found by the user's name
 * <em>and</em> uid <em>and</em> VM name exactly as recorded, never by the domain's name, so two
 * users whose names and VM names happen to form the same domain name never get each other's VM
 * (SPEC 3).
 *
 * <p>Thread-safe: readers see an immutable snapshot; changes replace it.
 */
public final class Ownership {
  private static final Logger log = LoggerFactory.getLogger(Ownership.class);

  private volatile Index index = Index.of(Map.of());

  /** Creates an empty index; fill it with {@link #refresh(Hypervisor)}. */
  public Ownership() {}

  /** Creates an index of these domains. */
  public Ownership(Collection<ManagedDomain> domains) {
    Map<UUID, ManagedDomain> byUuid = new HashMap<>();
    domains.forEach(domain -> byUuid.put(domain.uuid(), domain));
    index = Index.of(byUuid);
  }

  /**
   * Returns the domain recorded as {@code user}'s (with this uid) VM {@code vm}; empty when there
   * is none, or when several domains claim to be that VM (ambiguous, so none is acted on).
   */
  public Optional<ManagedDomain> find(String user, int uid, String vm) {
    return Optional.ofNullable(index.byOwner.get(new Owner(user, uid, vm)));
  }

  /** Returns the managed domain with this UUID. */
  public Optional<ManagedDomain> byUuid(UUID uuid) {
    return Optional.ofNullable(index.byUuid.get(uuid));
  }

  /** Returns the user's domains (name and uid both matching), ordered by VM name. */
  public List<ManagedDomain> ownedBy(String user, int uid) {
    return index.byUser.getOrDefault(userKey(user, uid), List.of());
  }

  private static String userKey(String user, int uid) {
    return uid + ":" + user;
  }

  /** Returns every managed domain. */
  public List<ManagedDomain> all() {
    return List.copyOf(index.byUuid.values());
  }

  /**
   * Rebuilds the index from what the hypervisor reports now. libvirt lists running and defined
   * domains in two calls, so a domain that starts or stops in between is in neither list; a
   * domain known before and missing now is therefore looked up by its UUID before it is dropped.
   */
  public void refresh(Hypervisor hypervisor) throws HypervisorException {
    List<ManagedDomain> domains = hypervisor.managedDomains();
    Map<UUID, ManagedDomain> byUuid = new HashMap<>();
    domains.forEach(domain -> byUuid.put(domain.uuid(), domain));
    for (UUID known : index.byUuid.keySet()) {
      if (!byUuid.containsKey(known)) {
        hypervisor.managedDomain(known).ifPresent(domain -> byUuid.put(domain.uuid(), domain));
      }
    }
    synchronized (this) {
      index = Index.of(byUuid);
    }
  }

  /** Adds or replaces one domain (after {@code assign}, or a {@code defined} event). */
  public synchronized void update(ManagedDomain domain) {
    Objects.requireNonNull(domain, "domain");
    Map<UUID, ManagedDomain> byUuid = new HashMap<>(index.byUuid);
    byUuid.put(domain.uuid(), domain);
    index = Index.of(byUuid);
  }

  /** Forgets one domain (after {@code unassign}, or an {@code undefined} event). */
  public synchronized void remove(UUID uuid) {
    if (!index.byUuid.containsKey(uuid)) {
      return;
    }
    Map<UUID, ManagedDomain> byUuid = new HashMap<>(index.byUuid);
    byUuid.remove(uuid);
    index = Index.of(byUuid);
  }

  private record Index(Map<UUID, ManagedDomain> byUuid, Map<Owner, ManagedDomain> byOwner,
      Map<String, List<ManagedDomain>> byUser) {
    static Index of(Map<UUID, ManagedDomain> byUuid) {
      Map<Owner, ManagedDomain> byOwner = new HashMap<>();
      Set<Owner> ambiguous = new HashSet<>();
      for (ManagedDomain domain : byUuid.values()) {
        ManagedDomain other = byOwner.putIfAbsent(domain.owner(), domain);
        if (other != null) {
          ambiguous.add(domain.owner());
          log.warn("several domains claim one VM; acting on none user={} uid={} vm={} domain={} other={}",
              domain.owner().user(), domain.owner().uid(), domain.owner().vm(), domain.name(), other.name());
        }
      }
      ambiguous.forEach(byOwner::remove);
      // Each sweep asks for every user's domains: a map, so that costs nothing per domain.
      Map<String, List<ManagedDomain>> byUser = new HashMap<>();
      for (ManagedDomain domain : byUuid.values()) {
        byUser.computeIfAbsent(userKey(domain.owner().user(), domain.owner().uid()),
            k -> new ArrayList<>()).add(domain);
      }
      Comparator<ManagedDomain> order = Comparator.comparing((ManagedDomain d) -> d.owner().vm())
          .thenComparing(ManagedDomain::name);
      byUser.replaceAll((k, list) -> {
        list.sort(order);
        return List.copyOf(list);
      });
      return new Index(Map.copyOf(byUuid), Map.copyOf(byOwner), Map.copyOf(byUser));
    }
  }
}
