package org.wirt.serve;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.wirt.tree.EntryName;
import org.wirt.tree.LegacyTree;

/**
 * Where a command of the old layout came from, for its records (issue 15): every one says its
 * file was {@code ~user/virsh/dom-<vm>/<verb>}, and the first one of each user since wirtd started
 * also says how to move to the tree, so that the user's logs tell them once, not at every command.
 */
final class LegacyNotices {
  /** Users told since wirtd started: one name per group member at most. */
  private final Set<String> told = ConcurrentHashMap.newKeySet();

  /** The start of the message of a command served from {@code legacy}'s {@code dom-<vm>/<name>}. */
  String from(LegacyTree legacy, String vm, EntryName name) {
    String user = legacy.tree().identity().user();
    String where = legacy.where(vm, name);
    if (told.add(user)) {
      return "from " + where + " (the old ~/" + legacyDir(legacy) + " layout, served until it is"
          + " migrated: ask an admin to run `wirtctl migrate-tree " + user + "`, which moves pending"
          + " commands to " + legacy.treeWhere() + "/command/vm/): ";
    }
    return "from " + where + ": ";
  }

  private static String legacyDir(LegacyTree legacy) {
    String where = legacy.where();
    return where.substring(where.indexOf('/') + 1);
  }
}
