package org.wirt.tree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.wirt.testing.RealUsers;

/** Two real users, alice and bob, and a fresh {@code ~alice/wirt} with a skeleton for VM "web" per test. */
abstract class RealTreeFixture {
  static final Instant NOW = Instant.parse("2024-01-02T03:04:05.006Z");
  static final String STAMP = "20240102T030405006";

  static RealUsers users;
  static RealUsers.User alice;
  static RealUsers.User bob;

  Path root;
  HomeTree tree;

  @BeforeAll
  static void createUsers() throws IOException {
    users = RealUsers.create();
    alice = users.createUser();
    bob = users.createUser();
  }

  @AfterAll
  static void deleteUsers() throws IOException {
    users.close();
  }

  @BeforeEach
  void freshTree() throws IOException {
    root = alice.home().resolve("wirt");
    RealUsers.root("rm", "-rf", root.toString());
    users.run(alice, "mkdir", "-m", "0700", root.toString());
    tree = new HomeTree(alice.identity(), alice.home(), "wirt", Clock.fixed(NOW, ZoneOffset.UTC));
    tree.ensureSkeleton(List.of("web"));
  }

  /** Runs {@code script} as alice in her tree ({@code cd ~/wirt} first). */
  void asAlice(String script) throws IOException {
    users.sh(alice, "set -e; cd " + root + "; " + script);
  }

  static int uid(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  static List<String> names(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
