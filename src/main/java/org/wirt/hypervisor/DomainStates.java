package org.wirt.hypervisor;

import java.util.List;

/** Names for the numbers {@code virDomainGetState} returns (libvirt-domain.h, libvirt 9). */
final class DomainStates {
  private static final List<String> RUNNING =
      List.of(
          "unknown", "booted", "migrated", "restored", "from_snapshot", "unpaused",
          "migration_canceled", "save_canceled", "wakeup", "crashed", "postcopy",
          "postcopy_failed");
  private static final List<String> PAUSED =
      List.of(
          "unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from_snapshot",
          "shutting_down", "snapshot", "crashed", "starting_up", "postcopy", "postcopy_failed",
          "api_error");
  private static final List<String> SHUTDOWN = List.of("unknown", "user");
  private static final List<String> SHUTOFF =
      List.of(
          "unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
          "from_snapshot", "daemon");
  private static final List<String> CRASHED = List.of("unknown", "panicked");

  private DomainStates() {}

  static DomainState state(int state) {
    return switch (state) {
      case 1 -> DomainState.RUNNING;
      case 2 -> DomainState.BLOCKED;
      case 3 -> DomainState.PAUSED;
      case 4 -> DomainState.SHUTDOWN;
      case 5 -> DomainState.SHUTOFF;
      case 6 -> DomainState.CRASHED;
      case 7 -> DomainState.PMSUSPENDED;
      default -> DomainState.UNKNOWN;
    };
  }

  /** Returns the lower-case reason, or {@code "unknown"} for a number this table does not know. */
  static String reason(int state, int reason) {
    List<String> names =
        switch (state) {
          case 1 -> RUNNING;
          case 3 -> PAUSED;
          case 4 -> SHUTDOWN;
          case 5 -> SHUTOFF;
          case 6 -> CRASHED;
          default -> List.of("unknown");
        };
    return reason >= 0 && reason < names.size() ? names.get(reason) : "unknown";
  }
}
