package org.wirt.posix;

import java.util.List;

/** A group from NSS ({@code getgrnam}): its explicit members, not those whose primary group it is. */
public record GroupEntry(String name, int gid, List<String> members) {}
