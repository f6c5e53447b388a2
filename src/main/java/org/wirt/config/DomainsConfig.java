package org.wirt.config;

import java.util.Objects;

/**
 * Host names for VMs ({@code domains}, see {@code command/domain/<name>/}): the DNS zone users
 * claim names under, and the libvirt network whose DNS publishes them.
 *
 * @param zone the zone, like {@code lab.example.org}, in lower case; empty turns the feature off
 * @param network the libvirt network whose {@code <dns>} gets the names
 */
public record DomainsConfig(String zone, String network) {
  /** The feature off, on wirt's own network. */
  public static final DomainsConfig DEFAULTS = new DomainsConfig("", "wirt");

  public DomainsConfig {
    Objects.requireNonNull(zone, "zone");
    Objects.requireNonNull(network, "network");
  }

  /** Whether an admin configured a zone, so that names can be claimed. */
  public boolean enabled() {
    return !zone.isEmpty();
  }
}
