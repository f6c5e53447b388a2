package org.wirt.hypervisor;

import java.util.Objects;
import java.util.Optional;

/**
 * Domain names made from a pattern such as {@code {user}-{vm}} (SPEC 3). The name is only a
 * convention for humans; ownership is decided by metadata ({@link Ownership}).
 */
public final class DomainNames {
  /** The default pattern. */
  public static final String DEFAULT_PATTERN = "{user}-{vm}";

  private static final String USER = "{user}";
  private static final String VM = "{vm}";

  private DomainNames() {}

  /**
   * Checks a configured pattern: it must contain {@code {vm}} exactly once and {@code {user}} at
   * most once.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  public static String checkPattern(String pattern) {
    Objects.requireNonNull(pattern, "pattern");
    if (count(pattern, VM) != 1) {
      throw new IllegalArgumentException(
          "domainNamePattern '" + pattern + "' must contain {vm} exactly once, e.g. " + DEFAULT_PATTERN);
    }
    if (count(pattern, USER) > 1) {
      throw new IllegalArgumentException(
          "domainNamePattern '" + pattern + "' must contain {user} at most once, e.g. " + DEFAULT_PATTERN);
    }
    return pattern;
  }

  /** Returns the domain name for the user's VM, e.g. {@code alice-web}. */
  public static String format(String pattern, String user, String vm) {
    checkPattern(pattern);
    return pattern.replace(USER, user).replace(VM, vm);
  }

  /**
   * Guesses the VM name that {@code domainName} stands for when it follows the pattern for this
   * user, e.g. {@code web} for {@code alice-web}; empty when it does not follow it or what is left
   * is no valid VM name.
   */
  public static Optional<String> vmFromDomainName(String pattern, String user, String domainName) {
    checkPattern(pattern);
    String withUser = pattern.replace(USER, user);
    int at = withUser.indexOf(VM);
    String prefix = withUser.substring(0, at);
    String suffix = withUser.substring(at + VM.length());
    if (domainName.length() <= prefix.length() + suffix.length()
        || !domainName.startsWith(prefix)
        || !domainName.endsWith(suffix)) {
      return Optional.empty();
    }
    String vm = domainName.substring(prefix.length(), domainName.length() - suffix.length());
    return OwnerMetadata.VM.matcher(vm).matches() ? Optional.of(vm) : Optional.empty();
  }

  private static int count(String text, String part) {
    int count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
      count++;
    }
    return count;
  }
}
