package org.wirt.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.wirt.tree.RootFiles;

/**
 * The libvirt URIs wirt opens (SPEC 8): an allow-list of drivers, transports and query
 * parameters, because a URI can make libvirt run a program as root ({@code qemu+ext:///system?
 * command=...}, {@code ?netcat=}, {@code ?proxy=}) or talk to a socket anyone could have made.
 *
 * <ul>
 *   <li>{@code qemu:///system}, {@code qemu:///session}, {@code test:///default}: local, no
 *       parameters;
 *   <li>{@code qemu:///system?socket=PATH} (also written {@code qemu+unix:///system?socket=PATH}):
 *       a socket that root owns, in directories only root may change;
 *   <li>{@code qemu+ssh://[user@]host[:port]/system|session} with the parameters {@code keyfile}
 *       (a key file only root may change) and {@code no_tty} ({@code 0} or {@code 1});
 *   <li>{@code qemu+tls://host[:port]/system|session} with the parameter {@code pkipath} (a
 *       directory only root may change).
 * </ul>
 *
 * Everything else is refused: other drivers, the {@code ext} transport (it runs a program), {@code
 * tcp} (neither authenticated nor encrypted without SASL; use {@code tls} or {@code ssh}), {@code
 * libssh}/{@code libssh2}, a host without a transport (libvirt would pick {@code tls} silently),
 * and any other parameter: {@code command}, {@code netcat}, {@code proxy}, {@code mode}, {@code
 * name}, {@code no_verify}, {@code socket} on a remote transport, and those not yet known. Percent
 * escapes are refused too, since libvirt decodes them in parameter names and values.
 */
public final class LibvirtUris {
  /** What is accepted, for messages. */
  public static final String ACCEPTED = "qemu:///system, qemu:///session, test:///default, "
      + "qemu:///system?socket=<root's socket>, qemu+ssh://[user@]host[:port]/system (parameters "
      + "keyfile, no_tty) or qemu+tls://host[:port]/system (parameter pkipath)";

  private static final Pattern URI = Pattern.compile(
      "([a-z0-9]+)(?:\\+([a-z0-9]+))?://([^/?#]*)(/[^?#]*)?(?:\\?([^#]*))?");
  private static final Pattern HOST = Pattern.compile(
      "(?:([a-z_][a-z0-9_.-]{0,31})@)?([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.]+\\])"
          + "(?::([0-9]{1,5}))?");
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._~:/?&;=@+,\\[\\]-]*");
  private static final Set<String> LOCAL_QEMU = Set.of("/system", "/session");
  private static final Map<String, Set<String>> PARAMETERS = Map.of(
      "", Set.of("socket"), "unix", Set.of("socket"), "ssh", Set.of("keyfile", "no_tty"),
      "tls", Set.of("pkipath"));

  private LibvirtUris() {}

  /**
   * Returns what is wrong with {@code uri}, as a phrase that names the offending part ("uses the
   * transport 'ext', which runs a program"), or empty if wirt may open it.
   */
  public static Optional<String> problem(String uri) {
    if (!SAFE.matcher(uri).matches()) {
      return Optional.of("has a character outside letters, digits and . _ ~ : / ? & ; = @ + , [ ] -"
          + (uri.indexOf('%') >= 0 ? " (percent escapes are refused: libvirt decodes them)" : ""));
    }
    Matcher m = URI.matcher(uri);
    if (!m.matches()) {
      return Optional.of("is not a libvirt URI of the form driver[+transport]://[host]/path[?parameters]");
    }
    String driver = m.group(1);
    String transport = m.group(2) == null ? "" : m.group(2);
    String authority = m.group(3);
    String path = m.group(4) == null ? "" : m.group(4);
    String query = m.group(5);
    if (!driver.equals("qemu") && !driver.equals("test")) {
      return Optional.of("uses the driver '" + driver + "'; wirt drives qemu (and libvirt's test "
          + "driver)");
    }
    switch (transport) {
      case "ext" -> {
        return Optional.of("uses the transport 'ext', which runs a program as root");
      }
      case "tcp" -> {
        return Optional.of("uses the transport 'tcp', which is neither authenticated nor encrypted"
            + " without SASL; use qemu+tls or qemu+ssh");
      }
      case "", "unix", "ssh", "tls" -> { }
      default -> {
        return Optional.of("uses the transport '" + transport + "', which wirt does not accept");
      }
    }
    boolean remote = transport.equals("ssh") || transport.equals("tls");
    if (driver.equals("test")) {
      if (!transport.isEmpty() || !authority.isEmpty() || !path.equals("/default") || query != null) {
        return Optional.of("is a test driver URI other than test:///default");
      }
      return Optional.empty();
    }
    if (remote) {
      Matcher host = HOST.matcher(authority);
      if (!host.matches()) {
        return Optional.of(authority.isEmpty() ? "uses the transport '" + transport + "' without "
            + "a host" : "has the host '" + authority + "', which is not [user@]host[:port]");
      }
      if (transport.equals("tls") && host.group(1) != null) {
        return Optional.of("has a user name, which qemu+tls does not take");
      }
      if (host.group(3) != null && Integer.parseInt(host.group(3)) > 65535) {
        return Optional.of("has the port " + host.group(3) + ", above 65535");
      }
    } else if (!authority.isEmpty()) {
      return Optional.of(transport.isEmpty() ? "names the host '" + authority + "' without a "
          + "transport (libvirt would use tls silently); write qemu+tls:// or qemu+ssh://"
          : "names a host, which the transport 'unix' does not take");
    }
    if (!LOCAL_QEMU.contains(path)) {
      return Optional.of("has the path '" + path + "'; a qemu URI ends in /system or /session");
    }
    return query == null ? Optional.empty() : parameters(transport, query);
  }

  private static Optional<String> parameters(String transport, String query) {
    Set<String> allowed = PARAMETERS.get(transport);
    Map<String, String> seen = new LinkedHashMap<>();
    // libvirt splits the query at '&' and at ';'.
    for (String pair : query.split("[&;]", -1)) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      if (!allowed.contains(key)) {
        String which = transport.isEmpty() ? "a local URI" : "the transport '" + transport + "'";
        return Optional.of("has the parameter '" + key + "'" + danger(key) + "; " + which
            + " accepts " + (allowed.size() == 1 ? "only " : "") + String.join(", ",
                new TreeSet<>(allowed)));
      }
      if (seen.put(key, value) != null) {
        return Optional.of("has the parameter '" + key + "' twice");
      }
      Optional<String> wrong = value(key, value);
      if (wrong.isPresent()) {
        return wrong;
      }
    }
    return Optional.empty();
  }

  private static String danger(String key) {
    return switch (key) {
      case "command", "netcat", "proxy" -> ", which runs a program";
      case "no_verify" -> ", which skips verifying the server";
      case "mode", "name" -> ", which changes what the remote side opens";
      case "socket" -> ", a socket on the remote side";
      default -> "";
    };
  }

  private static Optional<String> value(String key, String value) {
    if (key.equals("no_tty")) {
      return value.equals("0") || value.equals("1") ? Optional.empty()
          : Optional.of("has no_tty=" + value + "; it must be 0 or 1");
    }
    Path path = Path.of(value);
    if (value.isEmpty() || !path.isAbsolute() || !path.normalize().equals(path)) {
      return Optional.of("has " + key + "=" + value + "; it must be an absolute, normalized path");
    }
    try {
      RootFiles.check(path);
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      return Optional.of("has " + key + "=" + value + ", which only root may own and change: "
          + e.getMessage());
    }
  }
}
