package org.wirt.posix;

/** One event read from inotify; {@code name} is empty for events on the watched directory itself. */
public record InotifyEvent(int wd, int mask, int cookie, byte[] name) {}
