package org.wirt.config;

import java.util.Map;

/**
 * Per-user limits (SPEC 9 {@code quotas}): a default, and overrides by group and by user; the most
 * specific entry wins.
 */
public record QuotaConfig(Quota defaults, Map<String, Quota> groups, Map<String, Quota> users) {

  public QuotaConfig {
    groups = Map.copyOf(groups);
    users = Map.copyOf(users);
  }

  /**
   * One set of limits; vCPUs and memory count running VMs only; {@code domains} counts the host
   * names the user holds under {@code command/domain/}.
   */
  public record Quota(int vms, int vcpus, long memoryMiB, long diskGiB, int domains) {
    /** How many host names a user may hold when no quota says. */
    public static final int DEFAULT_DOMAINS = 5;

    /** Limits with the default number of host names. */
    public Quota(int vms, int vcpus, long memoryMiB, long diskGiB) {
      this(vms, vcpus, memoryMiB, diskGiB, DEFAULT_DOMAINS);
    }
  }
}
