package org.wirt.mail;

/** Delivers one plain-text mail; {@link SmtpSender} is the real one. */
interface MailSender {

  /** Sends the mail or throws: nothing is retried here, the outbox does that. */
  void send(String to, String subject, String body) throws Exception;
}
