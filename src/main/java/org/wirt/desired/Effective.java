package org.wirt.desired;

import java.util.Objects;
import org.wirt.hypervisor.DomainState;

/**
 * What a VM is now, as far as {@code settings.json} governs it.
 *
 * @param vcpus vCPUs it runs with (of the definition when off)
 * @param memoryMiB memory it runs with
 * @param nextVcpus vCPUs of the persistent definition: what the next boot gets
 * @param nextMemoryMiB memory of the persistent definition
 */
public record Effective(DomainState state, int vcpus, long memoryMiB, boolean autostart,
    int nextVcpus, long nextMemoryMiB) {
  public Effective {
    Objects.requireNonNull(state, "state");
  }
}
