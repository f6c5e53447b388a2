package org.wirt.mail;

import java.util.List;
import org.wirt.text.SafeText;

/** The text of wirt's mails: useful on their own, with names already escaped by the tree. */
final class Messages {
  /** A digest shows this many notices in full and counts the rest. */
  static final int DETAILED = 50;

  private Messages() {}

  /** How many events the notices stand for (a digest stands for many). */
  static long total(List<Notice> notices) {
    return notices.stream().mapToLong(Notice::count).sum();
  }

  static String subject(List<Notice> notices, boolean admin) {
    Notice first = notices.get(0);
    String subject;
    long total = total(notices);
    if (notices.size() == 1 && total == 1) {
      subject = "[wirt] " + first.user() + "/" + first.vm() + ": " + first.what() + " "
          + first.result();
    } else if (admin) {
      long users = notices.stream().map(Notice::user).distinct().count();
      subject = "[wirt] " + total + " problems for " + users + " user"
          + (users == 1 ? "" : "s");
    } else {
      subject = "[wirt] " + first.user() + ": " + total + " problems with your VMs";
    }
    return header(subject);
  }

  static String body(List<Notice> notices, boolean admin) {
    StringBuilder b = new StringBuilder();
    if (total(notices) > 1) {
      b.append(total(notices)).append(" things went wrong")
          .append(admin ? " for wirt's users" : " with your VMs").append(" since ")
          .append(notices.get(0).created()).append(". Oldest first:\n\n");
    }
    for (Notice n : notices.subList(0, Math.min(DETAILED, notices.size()))) {
      b.append(admin ? "user:    " + n.user() + "\n" : "")
          .append("VM:      ").append(n.vm()).append('\n')
          .append("what:    ").append(n.what()).append('\n')
          .append("result:  ").append(n.result()).append('\n')
          .append("when:    ").append(n.created().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).append('\n')
          .append("message: ").append(n.message()).append('\n')
          .append("VM now:  ").append(n.state() == null ? "unknown" : n.state()).append('\n')
          .append("next:    ").append(advice(n)).append('\n');
      if (n.record() != null) {
        b.append("record:  ").append(n.record()).append('\n');
      }
      b.append('\n');
    }
    if (notices.size() > DETAILED) {
      List<Notice> rest = notices.subList(DETAILED, notices.size());
      b.append("... and ").append(total(rest)).append(" more:\n");
      java.util.Map<String, Long> counts = new java.util.TreeMap<>();
      for (Notice n : rest) {
        counts.merge((admin ? n.user() + "/" : "") + n.vm() + " " + n.result(), n.count(),
            Long::sum);
      }
      counts.forEach((k, v) -> b.append("  ").append(v).append(" x ").append(k).append('\n'));
      b.append('\n');
    }
    b.append(admin ? "Each user's history: ~/wirt/logs/history.log; all: the audit log.\n"
        : "Your history: ~/wirt/logs/history.log; refused files: ~/wirt/rejected/.\n");
    b.append("-- wirt\n");
    return b.toString();
  }

  private static String advice(Notice n) {
    return switch (n.result()) {
      case "rejected" -> "fix what the message names and write the command again";
      case "digest" -> "see ~/wirt/logs/history.log for each of them";
      case "failed" -> "check the VM's state above; write the command again, or ask an admin";
      case "interrupted" -> "wirtd restarted while this ran; check the VM and repeat it if needed";
      default -> "look at the VM (~/wirt/info/vm/" + n.vm() + "/status.json) and start it again if"
          + " it should run";
    };
  }

  /**
   * No control character may reach a header: a newline there would start another header, and a
   * bidi override would make the subject read differently from what it says.
   */
  static String header(String text) {
    return SafeText.blank(text);
  }
}
