package org.wirt.command;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.wirt.hypervisor.HypervisorException;

/**
 * The {@code "networks"} of a {@code create}: which libvirt networks the new VM gets an interface
 * on. Absent means the admin's {@code images.networks} (the package's configuration names its
 * {@code wirt} network); {@code []} means none; a list must name only networks the admin allows.
 */
public final class NetworkNames {
  /** A libvirt network name as wirt accepts it from a user. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  static final int MAX_NETWORKS = 8;

  private NetworkNames() {}

  /** Whether {@code name} is a libvirt network name as wirt accepts one. */
  public static boolean isName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Returns the names a request lists, or null when it lists none (absent key). */
  public static List<String> parse(JsonNode value) throws Refusal {
    if (value == null) {
      return null;
    }
    if (!value.isArray() || value.size() > MAX_NETWORKS) {
      throw new Refusal("'create' \"networks\" must be a list of at most " + MAX_NETWORKS
          + " network names, like [\"wirt\"], or [] for no network card; found "
          + CommandParser.quote(value.toString()));
    }
    List<String> names = new ArrayList<>();
    for (JsonNode n : value) {
      if (!n.isTextual() || !NAME.matcher(n.asText()).matches()) {
        throw new Refusal("'create' \"networks\" holds " + CommandParser.quote(n.toString())
            + ", which is no network name (letters, digits, '_', '.', '-', up to 64)");
      }
      if (names.contains(n.asText())) {
        throw new Refusal("'create' \"networks\" names " + CommandParser.quote(n.asText())
            + " twice; name each network once");
      }
      names.add(n.asText());
    }
    return names;
  }

  /** Answers whether libvirt has a network of this name. */
  @FunctionalInterface
  public interface Existing {
    boolean exists(String name) throws HypervisorException;
  }

  /**
   * Returns the networks a new VM gets: those asked for, each of which must be allowed and
   * exist, or, when none were asked for, those of the allowed ones that exist (a host without the
   * package's {@code wirt} network gives VMs no card rather than VMs that cannot start).
   */
  public static List<String> choose(List<String> asked, List<String> allowed, Existing existing)
      throws Refusal, HypervisorException {
    List<String> chosen = choose(asked, allowed);
    List<String> there = new ArrayList<>();
    for (String name : chosen) {
      if (existing.exists(name)) {
        there.add(name);
      } else if (asked != null) {
        throw new Refusal("'create' \"networks\" names " + CommandParser.quote(name)
            + ", which libvirt does not have; ask an admin to define it, or write \"networks\": []");
      }
    }
    return there;
  }

  /**
   * Returns the networks a new VM gets: those asked for, each of which must be allowed, or all
   * the allowed ones when none were asked for.
   */
  public static List<String> choose(List<String> asked, List<String> allowed) throws Refusal {
    if (asked == null) {
      return allowed;
    }
    for (String name : asked) {
      if (!allowed.contains(name)) {
        throw new Refusal("'create' \"networks\" names " + CommandParser.quote(name)
            + ", which is not a network users may choose; allowed: "
            + (allowed.isEmpty() ? "none (write \"networks\": [])" : String.join(", ", allowed))
            + " (the admin's images.networks)");
      }
    }
    return asked;
  }
}
