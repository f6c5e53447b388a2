package org.wirt.mail;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

/** Delivers one plain-text mail; {@link SmtpSender} is the real one. */
interface MailSender {

  /** Sends the mail or throws: nothing is retried here, the outbox does that. */
  void send(String to, String subject, String body) throws Exception;

  /** The plain-text message from {@code from} to {@code to}, as every sender hands it on. */
  static MimeMessage message(Session session, String from, String to, String subject, String body)
      throws MessagingException {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress(from));
    m.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to, false));
    // Subjects are built from escaped names and stripped of control characters; encoding here
    // keeps anything non-ASCII from reaching the header raw.
    m.setSubject(subject, "UTF-8");
    m.setText(body, "UTF-8");
    return m;
  }
}
