package org.wirt.posix;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** SKELETON: implemented by the posix helper. */
public final class Inotify implements AutoCloseable {
  public static final int IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80,
      IN_CREATE = 0x100, IN_DELETE = 0x200, IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800,
      IN_UNMOUNT = 0x2000, IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000, IN_ONLYDIR = 0x1000000,
      IN_DONT_FOLLOW = 0x2000000, IN_EXCL_UNLINK = 0x4000000, IN_ISDIR = 0x40000000;
  public static Inotify open() throws IOException { throw new UnsupportedOperationException(); }
  public int addWatch(String path, int mask) throws IOException { throw new UnsupportedOperationException(); }
  public void removeWatch(int wd) {}
  public List<InotifyEvent> read(Duration timeout) throws IOException { throw new UnsupportedOperationException(); }
  public void wakeup() {}
  @Override public void close() {}
}
