package org.wirt.verbs;

import org.wirt.tree.HomeTree;

/** Shows a long operation's progress in the VM's {@code status.json}. */
@FunctionalInterface
public interface Progress {

  /** Shows {@code percent} done of {@code verb}; null ends the operation. */
  void show(HomeTree tree, String vm, String verb, Integer percent);
}
