package org.wirt.mail;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.threads.ThreadFailures;
import org.wirt.config.MailConfig;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.status.Json;
import org.wirt.status.Notifier;
import org.wirt.status.Outcome;

/**
 * Mails the user and root about trouble (SPEC 6 item 6), without ever blocking a command: a
 * notice is only written to the outbox on the caller's thread; a thread of its own sends.
 *
 * <p>Rate limit: each recipient gets at most one mail per {@code digestMinutes}. The first notice
 * after a quiet window goes out at the next send cycle; what comes within the window waits and
 * goes out as one digest when the window ends. Root gets one mail (or digest) across all users.
 * When the relay fails, sending stops and is tried again after a backoff (30 s doubling up to 30
 * min); notices older than {@code giveUpDays} are dropped and logged. Delivery is at least once: a
 * crash between sending and noting it in the outbox sends that mail again.
 */
public final class Mailer implements Notifier, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Mailer.class);
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(30);
  static final Duration LAST_BACKOFF = Duration.ofMinutes(30);
  private static final Duration CYCLE = Duration.ofSeconds(5);

  private final MailConfig config;
  private final Outbox outbox;
  private final MailSender sender;
  private final Clock clock;
  private final AtomicLong sequence = new AtomicLong();
  private final Map<String, Instant> lastSent = new HashMap<>();
  private final Object wake = new Object();
  private Instant nextAttempt = Instant.MIN;
  private Duration backoff = FIRST_BACKOFF;
  private Thread thread;
  private volatile boolean running;

  Mailer(MailConfig config, Outbox outbox, MailSender sender, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.outbox = Objects.requireNonNull(outbox, "outbox");
    this.sender = Objects.requireNonNull(sender, "sender");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * A mailer sending through {@code mail.sendmail} when that is set, else over SMTP, with its
   * outbox in {@code stateDir/outbox}.
   */
  public static Mailer create(MailConfig config, Path stateDir, Clock clock) throws IOException {
    return create(config, stateDir, org.wirt.config.LimitsConfig.DEFAULTS.outboxPerUser(), clock);
  }

  /**
   * As {@link #create(MailConfig, Path, Clock)}, with at most {@code perUser} notices of one user
   * queued ({@code limits.outboxPerUser}); more are counted in the user's digest.
   */
  public static Mailer create(MailConfig config, Path stateDir, int perUser, Clock clock)
      throws IOException {
    MailSender sender = config.sendmail() != null
        ? new SendmailSender(config) : new SmtpSender(config);
    return new Mailer(config, new Outbox(stateDir.resolve("outbox"), perUser), sender, clock);
  }

  /** Starts the sending thread. */
  public void start() {
    running = true;
    thread = new Thread(this::loop, "wirt-mail");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void commandFailed(Outcome o, Optional<DomainStatus> vm) {
    String what = o.verb() + (o.tag() == null ? "" : " (tag " + o.tag() + ")");
    queue(o.time(), o.user(), o.vm(), what, o.result().json(), o.message(),
        Json.compact(Json.outcome(o)), vm.map(s -> s.state().json()).orElse(null));
  }

  @Override
  public void vmTrouble(String user, String vm, LifecycleEvent event, Optional<DomainStatus> status) {
    queue(clock.instant(), user, vm, "libvirt event " + event.type(), event.detail(),
        "the VM changed state on its own: " + event.type() + " (" + event.detail() + ")", null,
        status.map(s -> s.state().json()).orElse(null));
  }

  private void queue(Instant time, String user, String vm, String what, String result,
      String message, String record, String state) {
    String id = String.format("%013d-%06d.json", clock.millis(), sequence.incrementAndGet() % 1_000_000);
    try {
      outbox.put(new Notice(id, time, user, vm, what, result, message, record, state, false, false));
    } catch (IOException e) {
      log.error("cannot queue mail user={} vm={}", user, vm, e);
      return;
    }
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  private void loop() {
    while (running) {
      try {
        cycle();
      } catch (IOException e) {
        log.error("mail cycle failed", e);
      } catch (RuntimeException | Error e) {
        ThreadFailures.process().caught("wirt-mail", e);
      }
      synchronized (wake) {
        try {
          wake.wait(CYCLE.toMillis());
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Sends what is due now; public for tests, which drive it with their clock. */
  synchronized void cycle() throws IOException {
    Instant now = clock.instant();
    List<Notice> notices = new ArrayList<>();
    for (Notice n : outbox.all()) {
      if (n.created().plus(config.giveUpAfter()).isBefore(now)) {
        log.warn("mail given up after {} days user={} vm={} what={} userMailed={} rootMailed={}",
            config.giveUpDays(), n.user(), n.vm(), n.what(), n.sentToUser(), n.sentToAdmin());
        outbox.remove(n);
      } else {
        notices.add(n);
      }
    }
    if (notices.isEmpty() || now.isBefore(nextAttempt)) {
      return;
    }
    Map<String, Notice> current = new LinkedHashMap<>();
    notices.forEach(n -> current.put(n.id(), n));
    Map<String, List<Notice>> byUser = new LinkedHashMap<>();
    for (Notice n : notices) {
      if (!n.sentToUser()) {
        byUser.computeIfAbsent(n.user(), u -> new ArrayList<>()).add(n);
      }
    }
    try {
      for (Map.Entry<String, List<Notice>> e : byUser.entrySet()) {
        String to = config.addressOf(e.getKey());
        if (due(to, now)) {
          sender.send(to, Messages.subject(e.getValue(), false), Messages.body(e.getValue(), false));
          lastSent.put(to, now);
          for (Notice n : e.getValue()) {
            store(current, current.get(n.id()).userSent());
          }
        }
      }
      String admin = config.adminAddress();
      List<Notice> forAdmin = current.values().stream().filter(n -> !n.sentToAdmin()).toList();
      if (!forAdmin.isEmpty() && due(admin, now)) {
        sender.send(admin, Messages.subject(forAdmin, true), Messages.body(forAdmin, true));
        lastSent.put(admin, now);
        for (Notice n : forAdmin) {
          store(current, current.get(n.id()).adminSent());
        }
      }
      backoff = FIRST_BACKOFF;
      nextAttempt = Instant.MIN;
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      nextAttempt = now.plus(backoff);
      log.warn("mail relay {}:{} failed; retrying in {} s", config.smtpHost(),
          config.smtpPort(), backoff.toSeconds(), e);
      backoff = backoff.multipliedBy(2).compareTo(LAST_BACKOFF) > 0
          ? LAST_BACKOFF : backoff.multipliedBy(2);
    }
  }

  /** Notes what was sent, at once, so a relay failure later in the cycle repeats nothing. */
  private void store(Map<String, Notice> current, Notice n) throws IOException {
    current.put(n.id(), n);
    if (n.sentToUser() && n.sentToAdmin()) {
      outbox.remove(n);
    } else {
      outbox.put(n);
    }
  }

  private boolean due(String to, Instant now) {
    Instant last = lastSent.get(to);
    return last == null || !now.isBefore(last.plus(config.digestWindow()));
  }

  /** Returns how many notices wait in the outbox. */
  int pending() throws IOException {
    return outbox.all().size();
  }

  /** Returns how many files the outbox holds (a digest is one), for benchmarks and tests. */
  public int outboxFiles() {
    return outbox.fileCount();
  }

  /** The notices waiting in the outbox (a digest is one), for the metrics textfile. */
  @Override
  public int backlog() {
    return outbox.fileCount();
  }

  @Override
  public void close() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
