package org.wirt.hypervisor;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/** The name each domain had when last seen, so that a message about a domain gone still names it. */
final class KnownNames {
  private final Map<UUID, String> names = new ConcurrentHashMap<>();

  /** Notes the domain's name; returns its UUID. */
  UUID remember(Domain domain) throws LibvirtException {
    UUID uuid = UUID.fromString(domain.getUUIDString());
    names.put(uuid, domain.getName());
    return uuid;
  }

  /** The name the domain had when last seen, or its UUID if it was never seen. */
  String of(UUID uuid) {
    return names.getOrDefault(uuid, uuid.toString());
  }
}
