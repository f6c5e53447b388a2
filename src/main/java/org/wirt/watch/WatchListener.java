package org.wirt.watch;

import org.wirt.queue.VmKey;
import org.wirt.tree.EntryName;

/** What the {@link Watcher} reports. Called on the watcher's thread: implementations must not block. */
public interface WatchListener {

  /** Something appeared in a user's {@code command/vm/}: a new VM directory, or junk to refuse. */
  void vmDirectoriesChanged(String user);

  /**
   * An entry appeared in a VM's command directory.
   *
   * @param complete true when the writer has closed the file or renamed it into place, so its
   *     content is final; false when it was only created (it may still be being written)
   */
  void entryArrived(VmKey key, EntryName name, boolean complete);

  /** The kernel dropped events: only a full sweep can tell what happened. */
  void overflow();
}
