package org.wirt.hypervisor;

import java.util.Optional;

/** SKELETON: implemented by the hypervisor helper. */
public final class DomainNames {
  public static String format(String pattern, String user, String vm) { throw new UnsupportedOperationException(); }
  public static Optional<String> vmFromDomainName(String pattern, String user, String domainName) { throw new UnsupportedOperationException(); }
}
