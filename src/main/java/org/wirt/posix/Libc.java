package org.wirt.posix;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/** Direct-mapped libc. Only this package calls it; every caller checks the result. */
final class Libc {
  static {
    Native.register(Platform.C_LIBRARY_NAME);
  }

  private Libc() {}

  static native int openat(int dirfd, byte[] path, int flags, int mode);

  static native int close(int fd);

  static native long read(int fd, Pointer buf, long count);

  static native long write(int fd, byte[] buf, long count);

  static native long lseek(int fd, long offset, int whence);

  static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] statxbuf);

  static native int mkdirat(int dirfd, byte[] path, int mode);

  static native int unlinkat(int dirfd, byte[] path, int flags);

  static native int renameat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath);

  static native int renameat2(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags);

  static native int fchmod(int fd, int mode);

  static native int utimensat(int dirfd, byte[] path, Pointer times, int flags);

  static native int ftruncate(int fd, long length);

  static native int fsync(int fd);

  static native long getdents64(int fd, Pointer buf, long count);

  static native int inotify_init1(int flags);

  static native int inotify_add_watch(int fd, byte[] path, int mask);

  static native int inotify_rm_watch(int fd, int wd);

  static native int poll(byte[] fds, long nfds, int timeout);

  static native int eventfd(int initval, int flags);

  static native Pointer getpwnam(String name);

  static native Pointer getpwuid(int uid);

  static native Pointer getgrnam(String name);

  static native void setpwent();

  static native Pointer getpwent();

  static native void endpwent();

  static native int getgrouplist(String user, int group, int[] groups, int[] ngroups);

  static native int getgroups(int size, int[] list);

  static native int geteuid();

  static native int getuid();

  static native long sendfile(int outFd, int inFd, Pointer offset, long count);

  static native int setenv(String name, String value, int overwrite);

  static native int unsetenv(String name);

  static native int getegid();

  static native int setfsuid(int fsuid);

  static native int setfsgid(int fsgid);

  static native long syscall(long number, long arg1, int[] arg2);

  static native String strerror(int errnum);

  static native int socket(int domain, int type, int protocol);

  static native int bind(int fd, byte[] addr, int addrlen);

  static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

  static native long recv(int fd, byte[] buf, long len, int flags);

  /** errno of this thread's last native call (JNA saves it right after the call). */
  static int errno() {
    return Native.getLastError();
  }
}
