package org.wirt.hypervisor;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SKELETON: implemented by the hypervisor helper. */
public final class Ownership {
  public Optional<ManagedDomain> find(String user, int uid, String vm) { throw new UnsupportedOperationException(); }
  public Optional<ManagedDomain> byUuid(UUID uuid) { throw new UnsupportedOperationException(); }
  public List<ManagedDomain> ownedBy(String user, int uid) { throw new UnsupportedOperationException(); }
  public void refresh(Hypervisor hypervisor) throws HypervisorException { throw new UnsupportedOperationException(); }
  public void update(ManagedDomain domain) { throw new UnsupportedOperationException(); }
  public void remove(UUID uuid) { throw new UnsupportedOperationException(); }
}
