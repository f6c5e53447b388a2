package org.wirt.serve;

import java.util.Objects;
import java.util.Optional;
import org.wirt.command.Command;
import org.wirt.queue.VmKey;
import org.wirt.status.Result;
import org.wirt.tree.HomeTree;

/**
 * Commands wirtd queues itself for a VM (those its {@code settings.json} calls for), served by
 * {@link VmServer} like a command file: in the VM's turn, checked by the verb, claimed in the
 * journal, recorded in every place a command is.
 */
public interface InternalCommands {

  /**
   * One such command.
   *
   * @param origin where it came from, as the records name it ({@code settings.json})
   * @param content the content a command file of its verb would hold (the journal keeps it)
   */
  record Internal(Command command, byte[] content, String origin) {
    public Internal {
      Objects.requireNonNull(command, "command");
      Objects.requireNonNull(origin, "origin");
      content = content.clone();
    }

    @Override
    public byte[] content() {
      return content.clone();
    }
  }

  /** Takes the command queued for this VM, if any (the VM's turn has come). */
  Optional<Internal> take(VmKey key);

  /** A command file was claimed and runs now: a one-off the user wrote. */
  void oneOff(HomeTree tree, String vm, Command command);

  /** A command {@link #take} gave has ended (run, or refused by its verb's checks). */
  void ended(VmKey key, Internal command, Result result, String message);

  /** None: a daemon that queues no commands of its own. */
  InternalCommands NONE = new InternalCommands() {
    @Override
    public Optional<Internal> take(VmKey key) {
      return Optional.empty();
    }

    @Override
    public void oneOff(HomeTree tree, String vm, Command command) {}

    @Override
    public void ended(VmKey key, Internal command, Result result, String message) {}
  };
}
