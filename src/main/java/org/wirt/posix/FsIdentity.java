package org.wirt.posix;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Switches the filesystem identity (fsuid, fsgid, supplementary groups) of the calling platform
 * thread only, so the kernel checks the file operations of that thread against a user's own
 * permissions (SPEC 8) while other threads keep root's.
 *
 * <p>{@code setfsuid}/{@code setfsgid} act on the calling thread. glibc's {@code setgroups()}
 * would broadcast the change to every thread of the process, so the raw system call is used.
 */
public final class FsIdentity {
  private static final int EUID = Libc.geteuid();
  private static final int EGID = Libc.getegid();
  private static final int[] ORIGINAL_GROUPS = currentGroups();
  private static final ThreadLocal<Deque<Ids>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

  private FsIdentity() {}

  /** A switched identity; closing it restores what the thread had before (root, normally). */
  public interface Scope extends AutoCloseable {
    /** Restores the previous identity. Throws {@link IllegalStateException} if the kernel refuses. */
    @Override
    void close();
  }

  private record Ids(int uid, int gid, int[] groups) {
    boolean same(Ids o) {
      return uid == o.uid && gid == o.gid && Arrays.equals(groups, o.groups);
    }
  }

  /**
   * Makes the calling thread act on files as {@code uid}/{@code gid} with {@code groups} until the
   * returned scope is closed. Nesting is allowed; scopes must be closed in reverse order.
   *
   * @throws IOException if the process is not root and {@code uid} is not its own, or if the kernel
   *     did not apply the switch
   */
  public static Scope assume(int uid, int gid, int[] groups) throws IOException {
    Ids wanted = new Ids(uid, gid, sorted(groups));
    Deque<Ids> stack = STACK.get();
    Ids current = stack.isEmpty() ? root() : stack.peek();
    if (EUID != 0) {
      if (uid != EUID) {
        throw new IOException("acting as uid " + uid + " needs root: identity switching needs root,"
            + " and this process runs as uid " + EUID);
      }
      // The demo runs as the user itself: nothing to switch, and setgroups would fail.
      return pushed(stack, wanted, current, false);
    }
    if (!current.same(wanted)) {
      apply(wanted);
    }
    return pushed(stack, wanted, current, true);
  }

  /** The fsuid of the calling thread. */
  public static int currentFsuid() {
    return Libc.setfsuid(-1);
  }

  /** The fsgid of the calling thread. */
  public static int currentFsgid() {
    return Libc.setfsgid(-1);
  }

  private static Scope pushed(Deque<Ids> stack, Ids wanted, Ids previous, boolean switching) {
    stack.push(wanted);
    Thread owner = Thread.currentThread();
    return new Scope() {
      private boolean closed;

      @Override
      public void close() {
        if (closed) {
          return;
        }
        if (Thread.currentThread() != owner || stack.peek() != wanted) {
          throw new IllegalStateException("identity scopes must be closed in reverse order on the thread that opened them");
        }
        closed = true;
        stack.pop();
        if (switching && !previous.same(wanted)) {
          try {
            apply(previous);
          } catch (IOException e) {
            throw new IllegalStateException("cannot restore filesystem identity of thread "
                + owner.getName() + ": " + e.getMessage(), e);
          }
        }
      }
    };
  }

  private static Ids root() {
    return new Ids(EUID, EGID, ORIGINAL_GROUPS);
  }

  // Order matters: groups and fsgid while fsuid is still root, and back to root uid first.
  private static void apply(Ids ids) throws IOException {
    if (ids.uid == EUID) {
      Libc.setfsuid(ids.uid);
      setGroups(ids.groups);
      Libc.setfsgid(ids.gid);
    } else {
      setGroups(ids.groups);
      Libc.setfsgid(ids.gid);
      Libc.setfsuid(ids.uid);
    }
    int fsuid = Libc.setfsuid(-1);
    int fsgid = Libc.setfsgid(-1);
    int[] now = currentGroups();
    if (fsuid != ids.uid || fsgid != ids.gid || !Arrays.equals(now, ids.groups)) {
      throw new IOException("filesystem identity switch did not take: wanted uid " + ids.uid
          + " gid " + ids.gid + " groups " + Arrays.toString(ids.groups) + ", have uid " + fsuid
          + " gid " + fsgid + " groups " + Arrays.toString(now));
    }
  }

  private static void setGroups(int[] groups) throws IOException {
    long rc = Libc.syscall(Arch.CURRENT.sysSetgroups, groups.length, groups.length == 0 ? new int[1] : groups);
    if (rc != 0) {
      throw Errno.fail("setgroups", Arrays.toString(groups));
    }
  }

  private static int[] currentGroups() {
    int n = Libc.getgroups(0, null);
    int[] groups = new int[Math.max(n, 1)];
    n = Libc.getgroups(groups.length, groups);
    if (n < 0) {
      throw new IllegalStateException("getgroups failed: " + Errno.describe(Libc.errno()));
    }
    return sorted(Arrays.copyOf(groups, n));
  }

  private static int[] sorted(int[] groups) {
    int[] copy = groups.clone();
    Arrays.sort(copy);
    return copy;
  }
}
