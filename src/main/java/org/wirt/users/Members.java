package org.wirt.users;

import java.util.List;

/** Where the list of users to serve comes from; read again periodically. */
public interface Members {

  /** Returns the users to serve now, sorted by name. */
  List<Member> current();
}
