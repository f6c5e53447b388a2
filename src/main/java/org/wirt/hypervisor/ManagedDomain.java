package org.wirt.hypervisor;

import java.util.Objects;
import java.util.UUID;

/** A libvirt domain that carries wirt owner metadata. */
public record ManagedDomain(UUID uuid, String name, Owner owner) {
  public ManagedDomain {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(owner, "owner");
  }
}
