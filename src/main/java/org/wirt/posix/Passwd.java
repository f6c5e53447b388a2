package org.wirt.posix;

/** A user from NSS ({@code getpwnam}, {@code getpwent}). */
public record Passwd(String name, int uid, int gid, String home) {}
