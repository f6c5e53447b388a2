package org.wirt.verbs;

import java.util.List;
import java.util.Optional;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.tree.Identity;

/** Which domains a user owns (SPEC 3), as the verbs need to know it. */
public interface Domains {

  /** The user's domain of VM {@code vm}, as libvirt says now. */
  Optional<ManagedDomain> find(Identity user, String vm) throws HypervisorException;

  /** The user's domains, as the daemon's index knows them. */
  List<ManagedDomain> ownedBy(Identity user);

  /** A domain was made or removed: the index reads ownership again. */
  void changed();
}
