package org.wirt.config;

import java.time.Duration;

/**
 * What one user may make wirtd hold or write (SPEC 8, {@code limits} in {@code wirt.json}): every
 * resource a user's files can grow has a budget here, so one user's flood costs wirtd bounded
 * memory, disk and time.
 *
 * @param pendingRecords commands of one user whose records wirtd could not write yet (a full home,
 *     an unwritable {@code history.log}); past it, that user's new commands are refused
 * @param pendingRecordBytes the same budget in bytes (outcome and command content kept)
 * @param recordAttempts after this many failed attempts a record is given up (dropped, and said so)
 * @param recordGiveUpMinutes after this long a record that cannot be written is given up
 * @param refusalsPerMinute refusals recorded in full per user per minute (the token bucket's rate);
 *     past it, refusals are counted and summarised in one line per kind
 * @param refusalBurst refusals recorded in full in a burst (the bucket's size)
 * @param rejectedKept entries kept in a user's {@code rejected/}; older ones are removed
 * @param outboxPerUser mail notices queued per user; further ones are counted in one digest
 * @param auditRotateMiB the audit log is rotated (gzip) once it is larger than this
 * @param auditKept rotated audit logs kept
 * @param watchesPerUser inotify watches on one user's VM directories; more are swept instead
 */
public record LimitsConfig(
    int pendingRecords,
    int pendingRecordBytes,
    int recordAttempts,
    int recordGiveUpMinutes,
    int refusalsPerMinute,
    int refusalBurst,
    int rejectedKept,
    int outboxPerUser,
    int auditRotateMiB,
    int auditKept,
    int watchesPerUser) {

  /** The defaults, as in {@code examples/wirt.json}. */
  public static final LimitsConfig DEFAULTS =
      new LimitsConfig(32, 1 << 20, 240, 60, 30, 20, 200, 50, 16, 5, 256);

  public Duration recordGiveUpAfter() {
    return Duration.ofMinutes(recordGiveUpMinutes);
  }

  public long auditRotateBytes() {
    return auditRotateMiB * 1024L * 1024L;
  }
}
