package org.wirt.serve;

import java.util.Optional;
import org.wirt.command.Names;
import org.wirt.tree.EntryName;
import org.wirt.tree.LegacyTree;

/** The names of the old layout (issue 15): {@code ~/virsh/dom-<vm>/} is VM {@code <vm>}. */
final class LegacyNames {
  private LegacyNames() {}

  /** The VM a {@code dom-<vm>} directory is for, if its name is {@code dom-} and a valid VM name. */
  static Optional<String> vm(EntryName directory) {
    return directory.text()
        .filter(t -> t.startsWith(LegacyTree.PREFIX))
        .map(t -> t.substring(LegacyTree.PREFIX.length()))
        .filter(Names::isVm);
  }

  /** Why the entry {@code directory} of {@code ~/virsh} is not served, if it is named {@code dom-…}. */
  static String problem(EntryName directory) {
    return "'" + directory.display() + "' is not " + LegacyTree.PREFIX + "<vm> with a valid VM name (" + Names.VM_RULE
        + "); not served";
  }
}
