package org.wirt.posix;

import java.io.IOException;

/** A system call failed; the message names the operation, the path and errno. */
public final class ErrnoException extends IOException {
  private static final long serialVersionUID = 1L;

  public static final int EPERM = 1, ENOENT = 2, EINTR = 4, ENXIO = 6, EBADF = 9, EAGAIN = 11,
      EACCES = 13, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28,
      EROFS = 30, ENOTEMPTY = 39, ELOOP = 40;

  private final int errno;

  ErrnoException(String operation, String what, int errno) {
    super(operation + " " + what + ": " + Errno.describe(errno));
    this.errno = errno;
  }

  /** The errno value, e.g. {@link #ELOOP}. */
  public int errno() {
    return errno;
  }

  /** The errno name, e.g. {@code "ELOOP"}. */
  public String errnoName() {
    return Errno.name(errno);
  }
}
