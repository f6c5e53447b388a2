package org.wirt.tree;

/** One entry of a directory, as {@code statx(AT_SYMLINK_NOFOLLOW)} saw it when listing. */
public record Entry(EntryName name, EntryType type, long mtimeNanos, long size) {}
