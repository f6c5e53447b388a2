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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.Owner;
import org.wirt.testing.Await;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;
import org.wirt.testing.WirtdFixture;
import org.wirt.testing.WirtdProcess;

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
    try (WirtdFixture h = new WirtdFixture(Libvirtd.URI,
        "\"sweepIntervalSeconds\": 1, \"workers\": 4,")) {
      run(h, h.hypervisor);
    }
  }

  private void run(WirtdFixture h, LibvirtHypervisor libvirt) throws Exception {
    RealUsers users = h.users;
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
    WirtdProcess daemon = null;
    try {
      String group = users.createGroup();
      h.serveGroup(group);
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
        WirtdProcess running = h.launchUnwaited(List.of(), Map.of());
        daemon = running;
        Await.until("wirtd started", DEADLINE, running::output,
            () -> running.output().contains("wirtd started") || !isAlive(running.output()));
        // Not a wait: the kill falls at a random point of wirtd's work, which is the scenario.
        Thread.sleep(300 + random.nextInt(1200));
        assertTrue(daemon.kill());
        kills++;
      }
      WirtdProcess last = h.launchUnwaited(List.of(), Map.of());
      daemon = last;
      for (User u : members) {
        Await.until(u.name() + "'s " + COMMANDS + " records", DEADLINE, last::output,
            () -> history(u).size() >= COMMANDS);
      }
      assertTrue(daemon.stop());
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
        daemon.kill();
      }
      for (UUID uuid : domains) {
        try {
          libvirt.destroy(uuid);
        } catch (Exception e) {
          // already off
        }
        libvirt.undefine(uuid);
      }
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

  /** Whether wirtd has not (yet) said why it could not start. */
  private static boolean isAlive(String output) {
    return !output.contains("wirtd:");
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
