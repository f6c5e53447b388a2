package org.wirt.tree;

/** What {@code fstat} said of an open file: the facts every security decision is taken on. */
public record FileFacts(long dev, long ino, EntryType type, int uid, long nlink, long size, long mtimeNanos) {}
