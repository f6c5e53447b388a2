package org.wirt.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.wirt.posix.Nss;
import org.wirt.posix.Passwd;
import org.wirt.tree.Identity;

/**
 * Real Unix users and groups for tests that need the kernel to enforce ownership and permissions
 * (Jimfs does not). Needs root: it runs {@code useradd}, {@code groupadd} and {@code runuser}.
 *
 * <pre>{@code
 * try (RealUsers users = RealUsers.create()) {
 *   RealUsers.User alice = users.createUser();
 *   users.run(alice, "touch", alice.home() + "/x");   // as alice
 * }
 * }</pre>
 *
 * <p>Users are named {@code wt<random>}, their homes are {@code /tmp/wirt-test-homes/<name>}
 * (0700, owned by them); {@link #close()} deletes every user, group and home it created.
 */
public final class RealUsers implements AutoCloseable {
  /** Where the test users' homes are created. */
  public static final Path BASE = Path.of("/tmp/wirt-test-homes");

  private static final SecureRandom RANDOM = new SecureRandom();
  private final Deque<String> users = new ArrayDeque<>();
  private final Deque<String> groups = new ArrayDeque<>();

  /** A created user. */
  public record User(String name, int uid, int gid, Path home, Passwd passwd, Identity identity) {}

  /** The output of a command that exited with status 0. */
  public record Result(String stdout, String stderr) {}

  /** How a command ended, whatever its exit status. */
  public record Exit(int code, String stdout, String stderr) {}

  private RealUsers() {}

  /**
   * Starts a set of test users.
   *
   * @throws IllegalStateException if the tests do not run as root
   */
  public static RealUsers create() throws IOException {
    requireRoot();
    Files.createDirectories(BASE);
    root("chmod", "0755", BASE.toString());
    return new RealUsers();
  }

  /** Fails with a clear message unless the tests run as root. */
  public static void requireRoot() {
    int euid = Nss.system().euid();
    if (euid != 0) {
      throw new IllegalStateException("this test needs root (it creates real users and switches to"
          + " their identity), but runs as uid " + euid + "; run `make test` as root");
    }
  }

  /** Creates a group with a unique name and returns that name. */
  public String createGroup() throws IOException {
    String name = uniqueName("wg");
    root("groupadd", name);
    groups.push(name);
    return name;
  }

  /** Creates a user with its own primary group and a 0700 home. */
  public User createUser() throws IOException {
    return createUser(null);
  }

  /** Creates a user who is also an explicit member of {@code group} (null for none). */
  public User createUser(String group) throws IOException {
    return createNamedUser(uniqueName("wt"), group);
  }

  /**
   * Creates a user with a chosen name (for name-collision tests), deleted with the others. The
   * name must be free.
   */
  public User createNamedUser(String name, String group) throws IOException {
    return create(name, null, group);
  }

  /** Creates a user whose primary group is {@code group} (not an explicit member of it). */
  public User createUserInPrimaryGroup(String group) throws IOException {
    return create(uniqueName("wt"), group, null);
  }

  private User create(String name, String primaryGroup, String group) throws IOException {
    Path home = BASE.resolve(name);
    List<String> cmd = new ArrayList<>(List.of("useradd", "-M", "-d", home.toString(), "-s", "/bin/sh"));
    cmd.addAll(primaryGroup == null ? List.of("-U") : List.of("-g", primaryGroup));
    if (group != null) {
      cmd.addAll(List.of("-G", group));
    }
    cmd.add(name);
    root(cmd.toArray(String[]::new));
    users.push(name);
    Passwd passwd = Nss.system().user(name)
        .orElseThrow(() -> new IllegalStateException("useradd created " + name + " but NSS does not know it"));
    root("install", "-d", "-m", "0700", "-o", name, "-g", Integer.toString(passwd.gid()), home.toString());
    Identity identity = new Identity(name, passwd.uid(), passwd.gid(),
        Nss.system().groupList(name, passwd.gid()));
    return new User(name, passwd.uid(), passwd.gid(), home, passwd, identity);
  }

  /** Runs {@code command} as {@code user} ({@code runuser -u}); fails unless it exits with 0. */
  public Result run(User user, String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("runuser", "-u", user.name(), "--"));
    cmd.addAll(List.of(command));
    return exec(cmd);
  }

  /** Runs {@code command} as {@code user} and returns how it ended, success or not. */
  public Exit attempt(User user, String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("runuser", "-u", user.name(), "--"));
    cmd.addAll(List.of(command));
    return execAny(cmd);
  }

  /** Runs {@code script} with {@code sh -c} as {@code user}; fails unless it exits with 0. */
  public Result sh(User user, String script) throws IOException {
    return run(user, "sh", "-c", script);
  }

  /** Runs {@code command} as root; fails unless it exits with 0. */
  public static Result root(String... command) throws IOException {
    return exec(List.of(command));
  }

  /**
   * Reads a sysctl such as {@code /proc/sys/fs/protected_hardlinks} in one read: the kernel answers
   * a read at a non-zero offset with end of file, so {@code Files.readString} (which reads the
   * first byte alone when the size is 0) would see only the first digit.
   */
  public static String readSysctl(Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      byte[] buf = new byte[4096];
      int n = in.read(buf);
      if (n <= 0) {
        throw new IOException("cannot read " + path);
      }
      return new String(buf, 0, n, StandardCharsets.US_ASCII).strip();
    }
  }

  /** Sets a sysctl and checks that the kernel took {@code value}. */
  public static void writeSysctl(Path path, String value) throws IOException {
    Files.writeString(path, value);
    String now = readSysctl(path);
    if (!now.equals(value)) {
      throw new IOException("wrote " + value + " to " + path + " but it reads " + now);
    }
  }

  /** Deletes the users (with their homes) and groups this instance created. */
  @Override
  public void close() throws IOException {
    List<String> failures = new ArrayList<>();
    while (!users.isEmpty()) {
      String name = users.pop();
      try {
        exec(List.of("userdel", "-f", "-r", name));
      } catch (IOException | AssertionError e) {
        failures.add(e.getMessage());
      }
      exec(List.of("rm", "-rf", "--one-file-system", BASE.resolve(name).toString()));
    }
    while (!groups.isEmpty()) {
      String name = groups.pop();
      try {
        exec(List.of("groupdel", name));
      } catch (IOException | AssertionError e) {
        failures.add(e.getMessage());
      }
    }
    if (!failures.isEmpty()) {
      throw new IOException("cleaning up test users failed: " + failures);
    }
  }

  private static String uniqueName(String prefix) {
    StringBuilder name = new StringBuilder(prefix);
    for (int i = 0; i < 10; i++) {
      name.append((char) ('a' + RANDOM.nextInt(26)));
    }
    return name.toString();
  }

  private static Result exec(List<String> cmd) throws IOException {
    Exit e = execAny(cmd);
    if (e.code() != 0) {
      throw new AssertionError("command " + cmd + " exited with " + e.code() + ": " + e.stderr().strip());
    }
    return new Result(e.stdout(), e.stderr());
  }

  /** Runs a command as root and returns how it ended, success or not. */
  public static Exit attemptAsRoot(String... command) throws IOException {
    return execAny(List.of(command));
  }

  private static Exit execAny(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    try {
      byte[][] streams = new byte[2][];
      Thread err = new Thread(() -> streams[1] = readQuietly(p.getErrorStream()));
      err.start();
      streams[0] = readQuietly(p.getInputStream());
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out after 60 s: " + cmd);
      }
      err.join();
      String out = new String(streams[0], StandardCharsets.UTF_8);
      String errText = new String(streams[1], StandardCharsets.UTF_8);
      return new Exit(p.exitValue(), out, errText);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while running " + cmd, e);
    }
  }

  private static byte[] readQuietly(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }
}
