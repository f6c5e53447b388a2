package org.wirt.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.wirt.config.LimitsConfig;
import org.wirt.config.MailConfig;
import org.wirt.mail.Mailer;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * One real user writes {@code commands} refused command files (names that are no verb, 1,000 in
 * each of up to 200 VM directories that are not theirs: a listing of one huge directory is not
 * what is measured) while
 * another user issues commands throughout. wirtd runs with its default budgets, a real mailer
 * whose relay (a closed port on loopback) is down, so the outbox only fills, and a 1 MiB audit
 * rotation. {@link FloodTest} runs it at 20,000 and asserts the bounds; the benchmark at 200,000
 * and prints the figures.
 */
public final class RefusalFlood {
  /** The most directories the files are spread over, 1,000 files each (200 for 200,000). */
  static final int DIRECTORIES = 200;
  /** Each line of the history or the audit log is smaller than this (the longest message). */
  static final int LINE_BYTES = 2048;

  /**
   * What the flood cost.
   *
   * @param tokens the most lines the refusal budget allows in the time the flood took
   */
  public record Figures(int commands, double seconds, long heapBeforeBytes, long heapAfterBytes,
      long rssBytes, long journalBytes, int outboxFiles, long rejectedEntries, long auditBytes,
      long auditLines, long historyBytes, long historyLines, long told, int otherServed,
      long[] otherLatencyNanos, long tokens, LimitsConfig limits) {

    public long p(double q) {
      long[] s = otherLatencyNanos.clone();
      Arrays.sort(s);
      return s.length == 0 ? 0 : s[Math.min(s.length - 1, (int) (s.length * q))];
    }
  }

  private RefusalFlood() {}

  /** Runs the flood; returns its figures once every refusal is recorded or summarised. */
  public static Figures run(int commands) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (WirtdFixture h = new WirtdFixture("test:///default", "\"limits\": {\"auditRotateMiB\": 1},")) {
      User mallory = h.user();
      User bob = h.user();
      h.domain(mallory.name() + "-web", mallory, "web");
      h.domain(bob.name() + "-web", bob, "web");
      LimitsConfig limits = LimitsConfig.DEFAULTS;
      Mailer mailer = Mailer.create(new MailConfig(true, "127.0.0.1", port, false, null, null,
          null, "wirt@localhost", "{user}@localhost", "root@localhost", 15, 3), h.stateDir,
          limits.outboxPerUser(), Clock.systemUTC());
      h.notifyWith(mailer);
      mailer.start();
      try {
        h.start();
        h.touch(bob, "web", "status.warm");
        h.awaitHistory(bob, 1);
        long heapBefore = heapUsed();

        Path vms = h.tree(mallory).resolve("command/vm");
        // wirtd refuses the first batches while the later ones are made: the time counts.
        long t0 = System.nanoTime();
        int batches = Math.max(1, Math.min(DIRECTORIES, (commands + 999) / 1000));
        int per = (commands + batches - 1) / batches;
        List<Path> dirs = new ArrayList<>();
        for (int d = 0, left = commands; left > 0; d++, left -= per) {
          String name = String.format("x%03d", d);
          // Made under a dot name and renamed in, so wirtd sees each batch whole.
          h.users.sh(mallory, "cd '" + vms + "' && mkdir .s" + name + " && cd .s" + name
              + " && seq -f 'bogus%06g' 1 " + Math.min(per, left) + " | xargs touch && cd .."
              + " && mv -T .s" + name + " " + name);
          dirs.add(vms.resolve(name));
        }
        List<Long> latencies = new ArrayList<>();
        int served = 1;
        while (remaining(dirs) > 0) {
          served++;
          long start = System.nanoTime();
          h.touch(bob, "web", "status.b" + served);
          h.awaitHistory(bob, served);
          latencies.add(System.nanoTime() - start);
        }
        // Summaries wait for tokens: up to RefusalBudget.KINDS of them, one token each, at
        // refusalsPerMinute (16 s at the default 30), longer than WirtdFixture.DEADLINE.
        Await.value("every refusal of " + commands + " told", java.time.Duration.ofSeconds(
            60 + 60L * RefusalBudget.KINDS / limits.refusalsPerMinute()), () -> told(h, mallory),
            told -> told == commands);
        double seconds = (System.nanoTime() - t0) / 1e9;
        served++;
        h.touch(bob, "web", "status.after");
        h.awaitHistory(bob, served);
        long heapAfter = heapUsed();
        Path history = h.tree(mallory).resolve("logs/history.log");
        long auditBytes = 0;
        try (Stream<Path> logs = Files.list(h.logDir)) {
          for (Path p : logs.toList()) {
            auditBytes += Files.size(p);
          }
        }
        long tokens = limits.refusalBurst()
            + (long) Math.ceil((System.nanoTime() - t0) / 1e9 * limits.refusalsPerMinute() / 60.0)
            + 1;
        return new Figures(commands, seconds, heapBefore, heapAfter, rss(),
            Files.size(h.stateDir.resolve("journal.log")), mailer.outboxFiles(),
            count(h.tree(mallory).resolve("rejected")), auditBytes, h.audit().size(),
            Files.size(history), h.history(mallory).size(), told(h, mallory), served,
            latencies.stream().mapToLong(Long::longValue).toArray(), tokens, limits);
      } finally {
        mailer.close();
      }
    }
  }

  /** Command files still waiting; a directory found empty is not listed again. */
  private static long remaining(List<Path> dirs) throws IOException {
    long n = 0;
    for (java.util.Iterator<Path> it = dirs.iterator(); it.hasNext(); ) {
      long c = count(it.next());
      if (c == 0) {
        it.remove();
      }
      n += c;
    }
    return n;
  }

  /** Refusals told in mallory's audit lines: one each, a summary for its count. */
  private static long told(WirtdFixture h, User u) {
    long n = 0;
    try {
      for (JsonNode l : h.audit()) {
        if (!l.path("user").asText().equals(u.name()) || !l.has("result")) {
          continue;
        }
        String m = l.get("message").asText();
        n += m.matches("\\d+ more refusals? of the same kind.*")
            ? Long.parseLong(m.substring(0, m.indexOf(' '))) : 1;
      }
    } catch (IOException e) {
      return -1;
    }
    return n;
  }

  private static long heapUsed() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long rss() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    return -1;
  }

  private static long count(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }

}
