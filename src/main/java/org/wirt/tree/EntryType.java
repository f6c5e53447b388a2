package org.wirt.tree;

/** The type of a directory entry, from {@code statx} without following links. */
public enum EntryType { REGULAR, DIRECTORY, SYMLINK, FIFO, SOCKET, CHAR_DEVICE, BLOCK_DEVICE, UNKNOWN }
