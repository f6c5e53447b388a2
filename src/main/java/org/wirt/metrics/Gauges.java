package org.wirt.metrics;

import java.util.List;

/** What the textfile shows of wirtd's state now, asked for each time it is written. */
public interface Gauges {

  /** VMs waiting for a worker or being served. */
  int queueDepth();

  /** Mail notices waiting in the outbox (a digest counts as one). */
  int mailBacklog();

  /** Whether wirtd is connected to libvirt. */
  boolean libvirtUp();

  /** Every served user's usage and limits; a user whose usage cannot be read now is left out. */
  List<UserUsage> usage();
}
