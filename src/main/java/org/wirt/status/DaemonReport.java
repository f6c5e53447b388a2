package org.wirt.status;

import java.util.Map;

/** What wirtd tells {@code wirtctl} about itself, as JSON over the control socket. */
public final class DaemonReport {
  private DaemonReport() {}

  /**
   * {@code wirtctl status}.
   *
   * @param queued VMs with commands queued or running, per user
   * @param lastSweep when the last full sweep ended, or null before the first
   */
  public record Overview(long pid, String started, String libvirtUri, boolean libvirtConnected,
      boolean draining, int workers, int running, int users, int watches, String lastSweep,
      long lastSweepMs, Map<String, Integer> queued) {}

  /**
   * One line of {@code wirtctl users}.
   *
   * @param watch {@code inotify}, {@code partly-swept} (more VM directories than {@code
   *     limits.watchesPerUser}), {@code sweep-only} (no watch could be added), or {@code none}
   *     (the user has no tree)
   * @param busyVms VMs with commands queued or running
   */
  public record UserLine(String user, int uid, String tree, boolean treeExists, String watch,
      int vms, int busyVms) {}

  /** One line of {@code wirtctl queue}: a VM's waiting command files and the oldest of them. */
  public record QueueLine(String user, String vm, int files, String oldest) {}
}
