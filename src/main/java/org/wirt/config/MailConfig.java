package org.wirt.config;

/** Where failure mail goes (SPEC 9 {@code mail}). */
public record MailConfig(
    String smtpHost, int smtpPort, String from, String userAddress, String adminAddress) {}
