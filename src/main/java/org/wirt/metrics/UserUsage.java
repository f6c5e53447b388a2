package org.wirt.metrics;

import java.util.Objects;

/**
 * What one user's VMs use and what their quota allows, for the textfile ({@code info/quota.json}
 * shows the same to the user).
 */
public record UserUsage(String user, int vms, int vmsLimit, int vcpus, int vcpusLimit,
    long memoryMiB, long memoryMiBLimit, long diskGiB, long diskGiBLimit) {

  public UserUsage {
    Objects.requireNonNull(user, "user");
  }
}
