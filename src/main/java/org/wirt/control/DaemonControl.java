package org.wirt.control;

import java.util.List;
import java.util.Optional;
import org.wirt.status.DaemonReport;

/** What {@code wirtctl} asks of the running daemon through its control socket. */
public interface DaemonControl {

  /** What {@code wirtctl status} shows. */
  DaemonReport.Overview overview();

  /** What {@code wirtctl users} shows: every served user, their watch mode and VMs. */
  List<DaemonReport.UserLine> users();

  /** What {@code wirtctl queue [user]} shows: command files waiting, per VM. */
  List<DaemonReport.QueueLine> queue(Optional<String> onlyUser);

  /** Stops taking commands, or takes them again; running ones finish. */
  void drain(boolean on);

  /** Returns the number of commands running now. */
  int running();

  /** Reads every domain's ownership again ({@code wirtctl assign}, {@code unassign}). */
  void ownershipChanged();
}
