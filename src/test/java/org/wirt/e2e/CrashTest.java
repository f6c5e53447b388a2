package org.wirt.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.Owner;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;

/**
 * {@code kill -9} at any point loses nothing and runs nothing twice (SPEC 4). Users queue
 * alternating start and destroy commands for real QEMU guests while wirtd is killed again and
 * again; libvirt's own lifecycle events, received by the test on its own connection, count how
 * often each guest really started and stopped.
 */
@Tag("e2e")
class CrashTest {
  private static final int USERS = 3;
  private static final int COMMANDS = 30;
  private static final Duration DEADLINE = Duration.ofMinutes(4);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void killedAgainAndAgainEveryCommandEndsOnceAndRunsOnce() throws Exception {
    LibvirtHypervisor libvirt = Libvirtd.connect();
    Path dir = Files.createTempDirectory("wirt-crash");
    List<UUID> domains = new ArrayList<>();
    Map<UUID, AtomicInteger> started = new ConcurrentHashMap<>();
    Map<UUID, AtomicInteger> stopped = new ConcurrentHashMap<>();
    libvirt.onLifecycle(e -> {
      if (e.type().equals("started")) {
        started.computeIfAbsent(e.uuid(), k -> new AtomicInteger()).incrementAndGet();
      } else if (e.type().equals("stopped")) {
        stopped.computeIfAbsent(e.uuid(), k -> new AtomicInteger()).incrementAndGet();
      }
    });
    Process daemon = null;
    try (RealUsers users = RealUsers.create()) {
      String group = users.createGroup();
      List<User> members = new ArrayList<>();
      Map<User, UUID> vms = new HashMap<>();
      for (int i = 0; i < USERS; i++) {
        User u = users.createUser(group);
        users.run(u, "mkdir", "-p", u.home().resolve("wirt/command/vm/web").toString());
        UUID uuid = libvirt.define(TestGuest.domainXml(u.name() + "-web"),
            new Owner(u.name(), u.uid(), "web")).uuid();
        domains.add(uuid);
        vms.put(u, uuid);
        members.add(u);
      }
      Path config = dir.resolve("wirt.json");
      Files.writeString(config, """
          {"group": "%s", "libvirtUri": "qemu:///system", "stateDir": "%s", "logDir": "%s",
           "sweepIntervalSeconds": 1, "workers": 4}
          """.formatted(group, dir.resolve("state"), dir.resolve("log")));
      // Each user's commands are staged in a hidden directory with increasing modification
      // times, then renamed into place at once.
      for (User u : members) {
        StringBuilder script = new StringBuilder("set -e; cd '" + u.home().resolve("wirt/command/vm")
            + "'; mkdir .staging; cd .staging;");
        for (int i = 0; i < COMMANDS; i++) {
          String verb = i % 2 == 0 ? "start" : "destroy";
          script.append(" touch -d @").append(1_577_836_800L + i).append(' ')
              .append(verb).append(".c").append(String.format("%03d", i)).append(';');
        }
        script.append(" cd ..; rmdir web; mv -T .staging web");
        users.sh(u, script.toString());
      }

      Random random = new Random(42);
      int kills = 0;
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (remaining(members) > 0) {
        assertTrue(System.nanoTime() < deadline, "commands left after " + kills + " kills");
        Path out = dir.resolve("wirtd-" + kills + ".out");
        daemon = wirtd(config, out);
        await(() -> read(out).contains("wirtd started") || !isAlive(out), "wirtd started", out);
        Thread.sleep(300 + random.nextInt(1200));
        daemon.destroyForcibly();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        kills++;
      }
      Path last = dir.resolve("wirtd-last.out");
      daemon = wirtd(config, last);
      for (User u : members) {
        await(() -> history(u).size() >= COMMANDS, u.name() + "'s " + COMMANDS + " records", last);
      }
      daemon.destroy();
      assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
      System.out.printf("crash test: %d kills, %d commands%n", kills, USERS * COMMANDS);

      int interrupted = 0;
      for (User u : members) {
        List<JsonNode> lines = history(u);
        List<String> tags = lines.stream().map(l -> l.get("tag").asText()).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < COMMANDS; i++) {
          expected.add(String.format("c%03d", i));
        }
        assertEquals(expected, tags, u.name() + ": each command exactly once, in order");
        for (JsonNode l : lines) {
          String result = l.get("result").asText();
          assertTrue(result.equals("ok") || result.equals("interrupted"), l.toString());
          if (result.equals("interrupted")) {
            interrupted++;
          }
        }
        UUID uuid = vms.get(u);
        assertEquals(COMMANDS / 2, started.getOrDefault(uuid, new AtomicInteger()).get(),
            u.name() + ": the guest started once per start command");
        assertEquals(COMMANDS / 2, stopped.getOrDefault(uuid, new AtomicInteger()).get(),
            u.name() + ": the guest stopped once per destroy command");
      }
      System.out.printf("crash test: %d commands were interrupted and reconciled%n", interrupted);
    } finally {
      if (daemon != null) {
        daemon.destroyForcibly();
      }
      for (UUID uuid : domains) {
        try {
          libvirt.destroy(uuid);
        } catch (Exception e) {
          // already off
        }
        libvirt.undefine(uuid);
      }
      libvirt.close();
      RealUsers.root("rm", "-rf", dir.toString());
    }
  }

  private static int remaining(List<User> members) throws IOException {
    int n = 0;
    for (User u : members) {
      try (var files = Files.list(u.home().resolve("wirt/command/vm/web"))) {
        n += (int) files.count();
      }
    }
    return n;
  }

  private static List<JsonNode> history(User u) {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : read(u.home().resolve("wirt/logs/history.log")).lines().toList()) {
      try {
        lines.add(JSON.readTree(line));
      } catch (IOException e) {
        throw new AssertionError("history line is not JSON: " + line, e);
      }
    }
    return lines;
  }

  private static Process wirtd(Path config, Path out) throws IOException {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "org.wirt.Main", "wirtd", "--config",
        config.toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
  }

  private static boolean isAlive(Path out) {
    return !read(out).contains("wirtd:");
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void await(BooleanSupplier condition, String what, Path out)
      throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "\n" + read(out));
      }
      Thread.sleep(5);
    }
  }
}
