package org.wirt.metrics;

import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * wirtd's counters in Prometheus' text exposition format (version 0.0.4), as node_exporter's
 * textfile collector reads it: one {@code # HELP} and {@code # TYPE} line per family, then its
 * samples, no timestamps (the collector refuses them). Label values are escaped as the format
 * says: backslash, double quote and line feed.
 */
final class Exposition {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  private final StringBuilder out = new StringBuilder(4096);

  private Exposition() {}

  /** The whole file: every counter of {@code metrics} and every gauge of {@code gauges}. */
  static String render(WirtMetrics metrics, Gauges gauges) {
    Exposition e = new Exposition();
    e.family("wirt_commands_total", "counter",
        "Commands wirtd claimed, ran and recorded, by verb and result.");
    for (Map.Entry<WirtMetrics.CommandKey, Long> c : metrics.commands().entrySet()) {
      e.sample("wirt_commands_total", c.getValue(), "verb", c.getKey().verb(),
          "result", c.getKey().result());
    }
    e.histogram("wirt_command_latency_seconds",
        "Seconds from a command file's modification to its outcome recorded.",
        metrics.latency());
    e.family("wirt_refusals_total", "counter",
        "Command entries refused and moved to rejected/, by verb (other: not a verb).");
    metrics.refusals().forEach((verb, n) -> e.sample("wirt_refusals_total", n, "verb", verb));
    e.family("wirt_libvirt_reconnects_total", "counter",
        "Times the connection to libvirt was lost and made again.");
    e.sample("wirt_libvirt_reconnects_total", metrics.reconnects());
    e.family("wirt_libvirt_up", "gauge", "1 while wirtd is connected to libvirt, else 0.");
    e.sample("wirt_libvirt_up", gauges.libvirtUp() ? 1 : 0);
    e.family("wirt_queue_depth", "gauge", "VMs with commands waiting for a worker or being served.");
    e.sample("wirt_queue_depth", gauges.queueDepth());
    e.family("wirt_mail_backlog", "gauge", "Mail notices waiting in the outbox (a digest is one).");
    e.sample("wirt_mail_backlog", gauges.mailBacklog());
    List<UserUsage> usage = gauges.usage();
    e.perUser(usage, "wirt_user_vms", "VMs the user has.", UserUsage::vms);
    e.perUser(usage, "wirt_user_vms_limit", "VMs the user's quota allows.", UserUsage::vmsLimit);
    e.perUser(usage, "wirt_user_vcpus", "vCPUs of the user's running VMs.", UserUsage::vcpus);
    e.perUser(usage, "wirt_user_vcpus_limit", "vCPUs the user's quota allows running.",
        UserUsage::vcpusLimit);
    e.perUser(usage, "wirt_user_memory_bytes", "Memory of the user's running VMs, in bytes.",
        u -> u.memoryMiB() * MIB);
    e.perUser(usage, "wirt_user_memory_limit_bytes",
        "Memory the user's quota allows running, in bytes.", u -> u.memoryMiBLimit() * MIB);
    e.perUser(usage, "wirt_user_disk_bytes",
        "Virtual size of the user's disks (with snapshots), in bytes.", u -> u.diskGiB() * GIB);
    e.perUser(usage, "wirt_user_disk_limit_bytes", "Disk the user's quota allows, in bytes.",
        u -> u.diskGiBLimit() * GIB);
    return e.out.toString();
  }

  private void perUser(List<UserUsage> usage, String name, String help,
      ToLongFunction<UserUsage> value) {
    family(name, "gauge", help);
    for (UserUsage u : usage) {
      sample(name, value.applyAsLong(u), "user", u.user());
    }
  }

  private void histogram(String name, String help, WirtMetrics.Histogram.Snapshot h) {
    family(name, "histogram", help);
    for (int i = 0; i < h.bounds().length; i++) {
      sample(name + "_bucket", h.cumulative()[i], "le", number(h.bounds()[i]));
    }
    sample(name + "_bucket", h.count(), "le", "+Inf");
    line(name + "_sum", number(h.sum()));
    sample(name + "_count", h.count());
  }

  private void family(String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  /** One sample; {@code labels} are name, value, name, value... */
  private void sample(String name, long value, String... labels) {
    line(name, Long.toString(value), labels);
  }

  private void line(String name, String value, String... labels) {
    out.append(name);
    if (labels.length > 0) {
      out.append('{');
      for (int i = 0; i < labels.length; i += 2) {
        if (i > 0) {
          out.append(',');
        }
        out.append(labels[i]).append("=\"").append(escapeLabel(labels[i + 1])).append('"');
      }
      out.append('}');
    }
    out.append(' ').append(value).append('\n');
  }

  /** A label value as the format writes it: {@code \\}, {@code \"} and {@code \n} escaped. */
  static String escapeLabel(String value) {
    StringBuilder b = new StringBuilder(value.length() + 8);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '"' -> b.append("\\\"");
        case '\n' -> b.append("\\n");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** Help text as the format writes it: {@code \\} and {@code \n} escaped (quotes stay). */
  static String escapeHelp(String help) {
    return help.replace("\\", "\\\\").replace("\n", "\\n");
  }

  /** A number as Go's ParseFloat reads it: whole numbers without a fraction, "+Inf", "NaN". */
  static String number(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "+Inf" : "-Inf";
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return Double.toString(value);
  }
}
