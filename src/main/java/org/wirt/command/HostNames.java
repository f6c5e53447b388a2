package org.wirt.command;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The names of {@code command/domain/<name>/} (host names for VMs) and of the zone they live
 * under. The directory name is one DNS label, in lower case: {@code web} is {@code
 * web.<zone>}. DNS names compare without case, so one spelling per name keeps one directory per
 * name; anything else (upper case, dots, a full name, an underscore) is refused with this rule.
 * What reaches dnsmasq through libvirt's XML is only ever such a label and the admin's zone.
 */
public final class HostNames {
  /** The rule, as refusals quote it. */
  public static final String LABEL_RULE =
      "one DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-', in lower case";
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final int MAX_ZONE = 200;

  private HostNames() {}

  /** Whether {@code name} is a host label as {@code command/domain/<name>} accepts it. */
  public static boolean isLabel(String name) {
    return name != null && LABEL.matcher(name).matches();
  }

  /** Whether {@code zone} (in lower case, no final dot) is labels joined by dots. */
  public static boolean isZone(String zone) {
    if (zone == null || zone.isEmpty() || zone.length() > MAX_ZONE) {
      return false;
    }
    for (String label : zone.split("\\.", -1)) {
      if (!isLabel(label)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Why {@code name} is no host label, for a refusal that names the rule; a full name under the
   * zone or an upper-case spelling get a hint at what to write instead.
   */
  public static String problem(String name, String zone) {
    String lower = name.toLowerCase(Locale.ROOT);
    String hint = "";
    if (!zone.isEmpty() && lower.endsWith("." + zone)
        && isLabel(lower.substring(0, lower.length() - zone.length() - 1))) {
      hint = "; for " + lower + " write the directory command/domain/"
          + lower.substring(0, lower.length() - zone.length() - 1) + "/";
    } else if (isLabel(lower)) {
      hint = "; write it as " + lower;
    }
    return "not a valid host name; a host name is " + LABEL_RULE + " (the zone "
        + (zone.isEmpty() ? "an admin configures" : zone) + " is added)" + hint;
  }

  /** The full name of {@code label} under {@code zone}. */
  public static String fqdn(String label, String zone) {
    if (!isLabel(label) || !isZone(zone)) {
      throw new IllegalArgumentException("not a host label under a zone: " + label + " " + zone);
    }
    return label + "." + zone;
  }
}
