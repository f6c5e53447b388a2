package org.wirt.mail;

import jakarta.mail.Authenticator;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Objects;
import java.util.Properties;
import org.wirt.config.MailConfig;

/** Sends mail over SMTP to the configured relay, with timeouts, optional STARTTLS and login. */
final class SmtpSender implements MailSender {
  private static final String TIMEOUT_MS = "10000";

  private final MailConfig config;
  private final Session session;

  SmtpSender(MailConfig config) throws IOException {
    this.config = Objects.requireNonNull(config, "config");
    Properties p = new Properties();
    p.put("mail.smtp.host", config.smtpHost());
    p.put("mail.smtp.port", Integer.toString(config.smtpPort()));
    p.put("mail.smtp.connectiontimeout", TIMEOUT_MS);
    p.put("mail.smtp.timeout", TIMEOUT_MS);
    p.put("mail.smtp.writetimeout", TIMEOUT_MS);
    if (config.starttls()) {
      p.put("mail.smtp.starttls.enable", "true");
      p.put("mail.smtp.starttls.required", "true");
    }
    Authenticator auth = null;
    if (config.username() != null) {
      String password = Files.readString(config.passwordFile(), StandardCharsets.UTF_8).strip();
      p.put("mail.smtp.auth", "true");
      auth = new Authenticator() {
        @Override
        protected PasswordAuthentication getPasswordAuthentication() {
          return new PasswordAuthentication(config.username(), password);
        }
      };
    }
    this.session = Session.getInstance(p, auth);
  }

  @Override
  public void send(String to, String subject, String body) throws Exception {
    MimeMessage m = MailSender.message(session, config.from(), to, subject, body);
    Transport.send(m);
  }
}
