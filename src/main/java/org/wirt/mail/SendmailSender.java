package org.wirt.mail;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.wirt.config.MailConfig;

/**
 * Hands mail to the local MTA's {@code sendmail} program ({@code mail.sendmail}): the message is
 * built by Jakarta Mail as for SMTP and written to the program's standard input. The recipient is
 * passed after {@code --}, so no address can be taken for an option.
 */
final class SendmailSender implements MailSender {
  private static final long TIMEOUT_SECONDS = 30;

  private final MailConfig config;
  private final Session session = Session.getInstance(new Properties());

  SendmailSender(MailConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  public void send(String to, String subject, String body) throws Exception {
    MimeMessage m = MailSender.message(session, config.from(), to, subject, body);
    m.saveChanges();
    Process p = new ProcessBuilder(List.of(config.sendmail().toString(), "-oi", "-f",
        config.from(), "--", to))
        .redirectErrorStream(true)
        .start();
    try (OutputStream in = p.getOutputStream()) {
      m.writeTo(in);
    }
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try {
        p.getInputStream().transferTo(said);
      } catch (java.io.IOException ignored) {
        // The exit status tells what matters.
      }
    }, "wirt-sendmail-output");
    reader.start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new java.io.IOException(config.sendmail() + " did not finish within "
          + TIMEOUT_SECONDS + " s");
    }
    reader.join(1000);
    if (p.exitValue() != 0) {
      throw new java.io.IOException(config.sendmail() + " exited with " + p.exitValue() + ": "
          + said.toString(StandardCharsets.UTF_8).strip());
    }
  }
}
