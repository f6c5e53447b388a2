package org.wirt.verbs;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.config.QuotaConfig;

/**
 * The limits of one user (SPEC 9 {@code quotas}) and the checks against them. Pure logic: usage is
 * measured by the caller.
 */
final class Quotas {

  /** What a user uses: VMs, and vCPUs and memory of running VMs, and disk of all. */
  record Usage(int vms, int vcpus, long memoryMiB, long diskGiB) {}

  /** The limits that apply and where they come from: {@code user}, {@code group:<name>}, {@code default}. */
  record Limits(Quota quota, String source) {}

  private final QuotaConfig config;

  Quotas(QuotaConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * Returns the most specific entry: the user's own, else the first group in the configuration
   * the user is a member of, else the default.
   */
  Limits limits(String user, Predicate<String> memberOf) {
    Quota own = config.users().get(user);
    if (own != null) {
      return new Limits(own, "user");
    }
    for (Map.Entry<String, Quota> g : config.groups().entrySet()) {
      if (memberOf.test(g.getKey())) {
        return new Limits(g.getValue(), "group:" + g.getKey());
      }
    }
    return new Limits(config.defaults(), "default");
  }

  /** Checks a new VM: one more VM, its disk, and that it alone could ever run. */
  static Optional<String> checkCreate(Quota q, Usage u, int vcpus, int memoryMiB,
      long diskGiB) {
    if (u.vms() + 1 > q.vms()) {
      return Optional.of("vms: " + u.vms() + " defined + 1 asked > " + q.vms() + " allowed");
    }
    Optional<String> disk = checkDisk(q, u, diskGiB);
    if (disk.isPresent()) {
      return disk;
    }
    if (vcpus > q.vcpus()) {
      return Optional.of("vcpus: " + vcpus + " asked > " + q.vcpus() + " allowed (running)");
    }
    if (memoryMiB > q.memoryMiB()) {
      return Optional.of("memory: " + memoryMiB + " MiB asked > " + q.memoryMiB()
          + " MiB allowed (running)");
    }
    return Optional.empty();
  }

  /** Checks booting a VM with these settings while {@code u} runs. */
  static Optional<String> checkStart(Quota q, Usage u, int vcpus, long memoryMiB) {
    if (u.vcpus() + vcpus > q.vcpus()) {
      return Optional.of("vcpus: " + u.vcpus() + " running + " + vcpus + " asked > " + q.vcpus()
          + " allowed");
    }
    if (u.memoryMiB() + memoryMiB > q.memoryMiB()) {
      return Optional.of("memory: " + u.memoryMiB() + " MiB running + " + memoryMiB
          + " MiB asked > " + q.memoryMiB() + " MiB allowed");
    }
    return Optional.empty();
  }

  /** Checks more disk: a new VM's, or a snapshot's (it counts its VM's disk once more). */
  static Optional<String> checkDisk(Quota q, Usage u, long diskGiB) {
    if (u.diskGiB() + diskGiB > q.diskGiB()) {
      return Optional.of("disk: " + u.diskGiB() + " GiB used + " + diskGiB + " GiB asked > "
          + q.diskGiB() + " GiB allowed");
    }
    return Optional.empty();
  }
}
