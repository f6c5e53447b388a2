package org.wirt.status;

import java.util.List;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.tree.Identity;

/**
 * What {@code info/quota.json} shows of a user (SPEC 9): the limits, where they come from
 * ({@code user}, {@code group:<name>}, {@code default}), and what the user's VMs use and how many host names
 * ({@code command/domain/}) they hold.
 */
public record QuotaView(Quota limits, String source, int vms, int vcpus, long memoryMiB,
    long diskGiB, int domains) {

  /** A view without host names held. */
  public QuotaView(Quota limits, String source, int vms, int vcpus, long memoryMiB,
      long diskGiB) {
    this(limits, source, vms, vcpus, memoryMiB, diskGiB, 0);
  }

  /** Tells a user's limits and usage; the quota checks do ({@code verbs.QuotaChecks}). */
  @FunctionalInterface
  public interface Source {
    QuotaView view(Identity user, List<ManagedDomain> owned) throws HypervisorException;
  }
}
