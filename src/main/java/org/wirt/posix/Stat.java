package org.wirt.posix;

/**
 * What {@code statx} reported about a file.
 *
 * @param dev the device, as {@code major << 32 | minor} (only compared, never decoded)
 * @param ino the inode number
 * @param mode the type and permission bits ({@code st_mode})
 * @param uid the owner
 * @param gid the group
 * @param nlink the number of hard links
 * @param size the size in bytes
 * @param mtimeNanos the modification time in nanoseconds since the epoch
 * @param blocks the 512-byte blocks allocated to the file ({@code st_blocks}): far fewer than
 *     its size for a sparse file
 */
public record Stat(long dev, long ino, int mode, int uid, int gid, long nlink, long size, long mtimeNanos,
    long blocks) {
  public static final int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000,
      S_IFREG = 0100000, S_IFBLK = 060000, S_IFDIR = 040000, S_IFCHR = 020000, S_IFIFO = 010000;

  /** The file type bits, one of the {@code S_IF*} constants. */
  public int type() {
    return mode & S_IFMT;
  }

  public boolean isRegular() {
    return type() == S_IFREG;
  }

  public boolean isDirectory() {
    return type() == S_IFDIR;
  }

  public boolean isSymlink() {
    return type() == S_IFLNK;
  }

  /** The bytes the file system allocated to the file ({@code st_blocks * 512}). */
  public long allocatedBytes() {
    return blocks * 512;
  }

  /** The permission bits ({@code 07777}). */
  public int permissions() {
    return mode & 07777;
  }
}
