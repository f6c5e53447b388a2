package org.wirt.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.command.Verb;
import org.wirt.config.MailConfig;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.status.Outcome;
import org.wirt.status.Result;
import org.wirt.testing.MutableClock;

/** The mailer against a real SMTP server (GreenMail) on loopback. */
class MailerTest {
  @TempDir Path state;
  private int port;
  private GreenMail relay;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final List<Mailer> mailers = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    relayUp();
  }

  @AfterEach
  void tearDown() {
    mailers.forEach(Mailer::close);
    if (relay != null) {
      relay.stop();
    }
  }

  @Test
  void aFailureIsOneReadableMailForTheUserAndOneForRoot() throws Exception {
    Mailer mailer = mailer();
    mailer.commandFailed(outcome("alice", "web", Verb.START, Result.FAILED,
        "libvirt refused: not enough memory"), Optional.of(status(DomainState.SHUTOFF)));
    mailer.cycle();

    MimeMessage[] mails = relay.getReceivedMessages();
    assertEquals(2, mails.length, "one for the user, one for root");
    MimeMessage user = to(mails, "alice@localhost");
    MimeMessage root = to(mails, "root@localhost");
    assertEquals("[wirt] alice/web: start (tag boot) failed", user.getSubject());
    assertEquals(user.getSubject(), root.getSubject());
    assertEquals("wirt@localhost", user.getFrom()[0].toString());
    String body = GreenMailUtil.getBody(user);
    assertTrue(body.contains("message: libvirt refused: not enough memory"), body);
    assertTrue(body.contains("VM now:  shutoff"), body);
    assertTrue(body.contains("next:    check the VM's state above"), body);
    assertTrue(body.contains("record:  {\"time\":\"2026-11-23T10:00:00Z\""), body);
    assertTrue(GreenMailUtil.getBody(root).contains("user:    alice"), "root is told whose VM");
    assertEquals(0, mailer.pending(), "the outbox is empty once both are mailed");
  }

  @Test
  void aVmThatStopsOnItsOwnIsMailed() throws Exception {
    Mailer mailer = mailer();
    mailer.vmTrouble("alice", "web", new LifecycleEvent(java.util.UUID.randomUUID(), "alice-web", "stopped", "crashed"),
        Optional.of(status(DomainState.CRASHED)));
    mailer.cycle();
    MimeMessage user = to(relay.getReceivedMessages(), "alice@localhost");
    assertEquals("[wirt] alice/web: libvirt event stopped crashed", user.getSubject());
    assertTrue(GreenMailUtil.getBody(user).contains("VM now:  crashed"));
  }

  @Test
  void namesCannotInjectHeaders() throws Exception {
    Mailer mailer = mailer();
    mailer.commandFailed(outcome("alice", "web\r\nBcc: mallory@evil.example\u202e\u2028\u0085",
        Verb.START, Result.REJECTED, "bad\nSubject: owned\u2029\u2066"), Optional.empty());
    mailer.cycle();

    MimeMessage[] mails = relay.getReceivedMessages();
    assertEquals(2, mails.length, "nobody else got a copy");
    for (MimeMessage m : mails) {
      assertFalse(m.getSubject().contains("\n") || m.getSubject().contains("\r"), m.getSubject());
      assertTrue(m.getSubject().startsWith("[wirt] alice/web\\x0d\\x0aBcc: mallory@evil.example"
          + "\\xe2\\x80\\xae\\xe2\\x80\\xa8\\xc2\\x85"), m.getSubject());
      String body = GreenMailUtil.getBody(m);
      assertTrue(body.contains("bad\\x0aSubject: owned\\xe2\\x80\\xa9\\xe2\\x81\\xa6"), body);
      assertTrue((m.getSubject() + body).codePoints().noneMatch(c -> c == 0x202e || c == 0x2028
          || c == 0x2029 || c == 0x2066 || c == 0x85), "no raw bidi, separator or C1 character");
      assertEquals(null, m.getHeader("Bcc"));
      assertEquals(1, m.getAllRecipients().length);
      assertFalse(m.getAllRecipients()[0].toString().contains("evil"));
    }
  }

  @Test
  void aThousandFailuresMakeADigestNotAThousandMails() throws Exception {
    Mailer mailer = mailer();
    mailer.commandFailed(outcome("alice", "web", Verb.START, Result.REJECTED, "first"),
        Optional.empty());
    mailer.cycle();
    assertEquals(2, relay.getReceivedMessages().length, "the first failure is told at once");

    for (int i = 0; i < 999; i++) {
      mailer.commandFailed(outcome("alice", "vm" + (i % 3), Verb.START, Result.REJECTED,
          "failure " + i), Optional.empty());
    }
    mailer.commandFailed(outcome("bob", "db", Verb.STOP, Result.FAILED, "bob's"), Optional.empty());
    mailer.cycle();
    assertEquals(3, relay.getReceivedMessages().length,
        "within the window only bob, who was not mailed yet, gets his first mail");

    clock.advance(Duration.ofMinutes(15));
    mailer.cycle();
    MimeMessage[] mails = relay.getReceivedMessages();
    assertEquals(5, mails.length, "one digest for alice, one for root");
    List<MimeMessage> alices = all(mails, "alice@localhost");
    assertEquals(2, alices.size());
    MimeMessage digest = alices.stream().filter(m -> subject(m).contains("problems")).findFirst()
        .orElseThrow();
    assertEquals("[wirt] alice: 999 problems with your VMs", digest.getSubject());
    String body = GreenMailUtil.getBody(digest);
    assertTrue(body.contains("message: failure 0"), "the oldest are shown in full");
    assertTrue(body.contains("... and 949 more:"), body);
    assertTrue(body.contains("949 x - digest"), "past 50 queued, the rest are one digest: " + body);
    try (var files = Files.list(state.resolve("outbox"))) {
      assertTrue(files.count() <= 0, "all sent, nothing left");
    }
    List<MimeMessage> roots = all(mails, "root@localhost");
    assertEquals(2, roots.size());
    assertTrue(roots.stream().anyMatch(m -> subject(m).equals("[wirt] 1000 problems for 2 users")),
        "root's digest spans users: alice's 999 and bob's");
    assertEquals(1, all(mails, "bob@localhost").size());
    mailer.cycle();
    assertEquals(5, relay.getReceivedMessages().length);
    assertEquals(0, mailer.pending());
  }

  @Test
  void aFloodOfNoticesKeepsAtMostTheCapAsFilesAndCountsTheRestInOneDigest() throws Exception {
    relay.stop();
    Mailer mailer = mailer();
    for (int i = 0; i < 2000; i++) {
      mailer.commandFailed(outcome("alice", "web", Verb.START, Result.REJECTED, "r" + i),
          Optional.empty());
    }
    mailer.commandFailed(outcome("bob", "db", Verb.STOP, Result.FAILED, "bob's"), Optional.empty());
    mailer.cycle();
    assertEquals(50 + 1 + 1, files(), "alice's 50, her digest, bob's one");
    Path digest = state.resolve("outbox/digest-alice.json");
    assertEquals(1950, new com.fasterxml.jackson.databind.ObjectMapper().readTree(digest.toFile())
        .path("count").asLong());
    mailer.commandFailed(outcome("alice", "web", Verb.START, Result.REJECTED, "one more"),
        Optional.empty());
    mailer.cycle();
    assertEquals(52, files(), "the digest is one file, updated");

    relayUp();
    clock.advance(Mailer.FIRST_BACKOFF);
    mailer.cycle();
    MimeMessage alices = to(relay.getReceivedMessages(), "alice@localhost");
    assertEquals("[wirt] alice: 2001 problems with your VMs", alices.getSubject());
    assertTrue(GreenMailUtil.getBody(alices).contains("1951 x - digest"),
        GreenMailUtil.getBody(alices));
    assertEquals(0, files());
  }

  @Test
  void aRestartReadsAnOverfullOutboxOnceAndFoldsTheExcessIntoADigest() throws Exception {
    relay.stop();
    Outbox big = new Outbox(state.resolve("outbox"), 10_000);
    for (int i = 0; i < 300; i++) {
      big.put(new Notice(String.format("%013d-%06d.json", i, i), clock.instant(), "alice", "web",
          "start", "rejected", "old " + i, null, null, false, false));
    }
    Mailer mailer = Mailer.create(config(null), state, 20, clock);
    mailers.add(mailer);
    assertEquals(21, files(), "20 kept, the other 280 in the digest");
    assertEquals(21, mailer.outboxFiles());
    relayUp();
    mailer.cycle();
    assertEquals("[wirt] alice: 300 problems with your VMs",
        to(relay.getReceivedMessages(), "alice@localhost").getSubject());
  }

  private long files() throws IOException {
    try (var files = Files.list(state.resolve("outbox"))) {
      return files.count();
    }
  }

  @Test
  void aRelayThatIsDownLosesNothingAndSendsNothingTwice() throws Exception {
    relay.stop();
    Mailer mailer = mailer();
    mailer.commandFailed(outcome("alice", "web", Verb.START, Result.FAILED, "one"), Optional.empty());
    mailer.cycle();
    assertEquals(1, mailer.pending(), "kept in the outbox");

    relayUp();
    mailer.cycle();
    assertEquals(0, relay.getReceivedMessages().length, "backing off: not retried at once");
    clock.advance(Mailer.FIRST_BACKOFF);
    mailer.cycle();
    assertEquals(2, relay.getReceivedMessages().length);
    assertEquals(0, mailer.pending());
    clock.advance(Duration.ofHours(1));
    mailer.cycle();
    assertEquals(2, relay.getReceivedMessages().length, "no duplicates");
  }

  @Test
  void aRestartedDaemonSendsWhatTheOutboxHeld() throws Exception {
    relay.stop();
    Mailer before = mailer();
    before.commandFailed(outcome("alice", "web", Verb.START, Result.FAILED, "one"), Optional.empty());
    before.commandFailed(outcome("bob", "db", Verb.STOP, Result.INTERRUPTED, "two"), Optional.empty());
    before.cycle();
    before.close();

    relayUp();
    Mailer after = mailer();
    after.cycle();
    MimeMessage[] mails = relay.getReceivedMessages();
    assertEquals(3, mails.length, "alice, bob and one digest for root");
    assertEquals("[wirt] 2 problems for 2 users", to(mails, "root@localhost").getSubject());
    after.cycle();
    assertEquals(3, relay.getReceivedMessages().length);
  }

  @Test
  void mailNobodyCouldDeliverIsGivenUpAfterTheConfiguredDays() throws Exception {
    relay.stop();
    Mailer mailer = mailer();
    mailer.commandFailed(outcome("alice", "web", Verb.START, Result.FAILED, "one"), Optional.empty());
    mailer.cycle();
    clock.advance(Duration.ofDays(3).plusMinutes(1));
    relayUp();
    mailer.cycle();
    assertEquals(0, mailer.pending());
    assertEquals(0, relay.getReceivedMessages().length);
  }

  @Test
  void queueingNeverWaitsForARelayThatHangs() throws Exception {
    relay.stop();
    relay = null;
    // A relay that accepts connections and never says a word.
    try (ServerSocket silent = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
      Mailer mailer = mailer();
      mailer.start();
      // A generous safety net, not a speed test: queueing only writes a file, so this returns at
      // once; were it to talk to the relay it would hang for the SMTP timeout each time.
      assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
        for (int i = 0; i < 20; i++) {
          mailer.commandFailed(outcome("alice", "web", Verb.START, Result.FAILED, "x" + i),
              Optional.empty());
        }
      });
      assertEquals(20, mailer.pending());
    }
  }

  @Test
  void sendmailGetsTheMessageOnStandardInputAndTheRecipientAfterDashes() throws Exception {
    Path got = state.resolve("got");
    Path program = state.resolve("sendmail");
    Files.writeString(program, "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + got + ".args'\ncat > '"
        + got + "'\n");
    program.toFile().setExecutable(true);
    MailConfig config = config(program);
    new SendmailSender(config).send("alice@localhost", "[wirt] subject", "body text\n");
    assertEquals(List.of("-oi", "-f", "wirt@localhost", "--", "alice@localhost"),
        Files.readAllLines(Path.of(got + ".args")));
    String message = Files.readString(got);
    assertTrue(message.contains("Subject: [wirt] subject"), message);
    assertTrue(message.contains("To: alice@localhost"), message);
    assertTrue(message.contains("body text"), message);
  }

  @Test
  void aSendmailThatFailsIsAnErrorWithItsOutput() throws Exception {
    Path program = state.resolve("sendmail");
    Files.writeString(program, "#!/bin/sh\ncat >/dev/null\necho 'no such user' >&2\nexit 67\n");
    program.toFile().setExecutable(true);
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
        () -> new SendmailSender(config(program)).send("x@localhost", "s", "b"));
    assertTrue(e.getMessage().endsWith("exited with 67: no such user"), e.getMessage());
  }

  private void relayUp() {
    relay = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    relay.start();
  }

  private Mailer mailer() throws IOException {
    Mailer m = Mailer.create(config(null), state, clock);
    mailers.add(m);
    return m;
  }

  private MailConfig config(Path sendmail) {
    return new MailConfig(true, "127.0.0.1", port, false, null, null, sendmail, "wirt@localhost",
        "{user}@localhost", "root@localhost", 15, 3);
  }

  private Outcome outcome(String user, String vm, Verb verb, Result result, String message) {
    return new Outcome(clock.instant(), user, vm, user + "-" + vm, verb.fileName(), "boot", result,
        message, 3);
  }

  private static DomainStatus status(DomainState state) {
    return new DomainStatus(java.util.UUID.randomUUID(), "alice-web", state, "", 1, 256, false,
        List.of());
  }

  private static List<MimeMessage> all(MimeMessage[] mails, String address) throws Exception {
    List<MimeMessage> found = new ArrayList<>();
    for (MimeMessage m : mails) {
      if (m.getRecipients(Message.RecipientType.TO)[0].toString().equals(address)) {
        found.add(m);
      }
    }
    return found;
  }

  private static String subject(MimeMessage m) {
    try {
      return m.getSubject();
    } catch (jakarta.mail.MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static MimeMessage to(MimeMessage[] mails, String address) throws Exception {
    for (MimeMessage m : mails) {
      if (m.getRecipients(Message.RecipientType.TO)[0].toString().equals(address)) {
        return m;
      }
    }
    throw new AssertionError("no mail to " + address);
  }
}
