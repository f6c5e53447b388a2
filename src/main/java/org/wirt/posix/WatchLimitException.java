package org.wirt.posix;

import java.io.IOException;

/** inotify_add_watch failed with ENOSPC: the user's watch limit is reached. */
public final class WatchLimitException extends IOException {
  private static final long serialVersionUID = 1L;
  public WatchLimitException(String message) { super(message); }
}
