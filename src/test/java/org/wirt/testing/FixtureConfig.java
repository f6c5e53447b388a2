package org.wirt.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.wirt.testing.RealUsers.User;

/** The wirt.json of a {@link WirtdFixture}. */
final class FixtureConfig {
  private static final ObjectMapper JSON = new ObjectMapper();

  private FixtureConfig() {}

  /**
   * The group first (tests edit the text after {@code {"group"}), the fixture's defaults (its
   * console sockets and logs in the fixture's directory), the
   * test's own keys ({@code extra}, e.g. {@code "workers": 4,}) replacing defaults of the same
   * name, then the served users unless a group is served.
   */
  static String text(String uri, Path stateDir, Path logDir, String extra, String group,
      List<User> served) throws IOException {
    ObjectNode config = JSON.createObjectNode();
    if (group != null) {
      config.put("group", group);
    }
    config.put("libvirtUri", uri).put("stateDir", stateDir.toString())
        .put("logDir", logDir.toString()).put("sweepIntervalSeconds", 2).put("workers", 2)
        .put("maxCommandBytes", 4096);
    // The console sockets and logs inside the fixture too, never the machine's /run/wirt.
    config.putObject("console").put("runDir", stateDir.resolveSibling("run").toString())
        .put("logDir", logDir.resolve("console").toString());
    String keys = extra.strip();
    if (keys.endsWith(",")) {
      keys = keys.substring(0, keys.length() - 1);
    }
    config.setAll((ObjectNode) JSON.readTree("{" + keys + "}"));
    if (group == null) {
      ObjectNode homes = config.putObject("users");
      served.forEach(u -> homes.put(u.name(), u.home().toString()));
    }
    return JSON.writeValueAsString(config);
  }
}
