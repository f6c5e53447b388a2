package org.wirt.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where failure mail goes (SPEC 9 {@code mail}).
 *
 * @param userAddress the user's address, {@code {user}} replaced by the login name
 * @param passwordFile a root-only file holding the SMTP password, or null without authentication
 * @param sendmail a sendmail program to hand mail to instead of SMTP, or null to use SMTP
 * @param digestMinutes at most one mail per recipient per this many minutes; more become a digest
 * @param giveUpDays how long an undeliverable mail is retried before it is dropped (and logged)
 */
public record MailConfig(
    boolean enabled,
    String smtpHost,
    int smtpPort,
    boolean starttls,
    String username,
    Path passwordFile,
    Path sendmail,
    String from,
    String userAddress,
    String adminAddress,
    int digestMinutes,
    int giveUpDays) {

  public Duration digestWindow() {
    return Duration.ofMinutes(digestMinutes);
  }

  public Duration giveUpAfter() {
    return Duration.ofDays(giveUpDays);
  }

  /** Returns the address of a user. */
  public String addressOf(String user) {
    return userAddress.replace("{user}", user);
  }
}
