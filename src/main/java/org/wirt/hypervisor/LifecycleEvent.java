package org.wirt.hypervisor;

import java.util.Objects;
import java.util.UUID;

/**
 * A lifecycle event libvirt reported for a domain.
 *
 * @param type libvirt's event type in lower case: {@code defined}, {@code undefined}, {@code
 *     started}, {@code suspended}, {@code resumed}, {@code stopped}, {@code shutdown}, {@code
 *     pmsuspended}, {@code crashed}
 * @param detail libvirt's detail in lower case (e.g. {@code destroyed}, {@code crashed}, {@code
 *     shutdown}), or {@code unknown}
 */
public record LifecycleEvent(UUID uuid, String domain, String type, String detail) {
  public LifecycleEvent {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(detail, "detail");
  }
}
