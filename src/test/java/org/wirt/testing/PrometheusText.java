package org.wirt.testing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of Prometheus' text exposition format, version 0.0.4 (the format
 * node_exporter's textfile collector reads; "Exposition formats" in Prometheus' documentation),
 * for tests. No Java parser of the format is on Maven Central (the official client's
 * {@code prometheus-metrics-exposition-textformats} only writes it), so this follows the
 * specification and refuses whatever it does not allow, with the line number:
 *
 * <ul>
 *   <li>{@code # HELP name text} (text escapes {@code \\} and {@code \n} only) and {@code # TYPE
 *       name counter|gauge|histogram|summary|untyped}, each at most once per name, TYPE before
 *       the family's first sample; other {@code #} lines are comments;
 *   <li>samples {@code name{label="value",...} value [timestamp]}: names {@code
 *       [a-zA-Z_:][a-zA-Z0-9_:]*}, label names {@code [a-zA-Z_][a-zA-Z0-9_]*} (not starting with
 *       {@code __}), label values escaping {@code \\}, {@code \"} and {@code \n} and nothing else,
 *       values as Go's ParseFloat reads them ({@code NaN}, {@code +Inf}, {@code -Inf}), timestamps
 *       whole milliseconds;
 *   <li>a family's lines together (a name seen again after another family is an error), no
 *       series twice, a label name once per sample;
 *   <li>histograms: {@code _bucket} samples with an {@code le} label, bounds increasing, counts
 *       cumulative, a {@code +Inf} bucket equal to {@code _count}, and {@code _sum}; counters not
 *       negative.
 * </ul>
 */
public final class PrometheusText {
  private static final Pattern METRIC = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern FLOAT = Pattern.compile(
      "[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?|0[xX][0-9a-fA-F]+)");
  private static final Pattern TIMESTAMP = Pattern.compile("-?\\d+");
  private static final Set<String> TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");

  /** One sample: its full name ({@code x_bucket}), labels, value and timestamp (null if none). */
  public record Sample(String name, Map<String, String> labels, double value, Long timestamp) {
    public Sample {
      labels = Map.copyOf(labels);
    }
  }

  /** One family: its name, type ({@code untyped} if none was given), help and samples. */
  public record Family(String name, String type, String help, List<Sample> samples) {
    /** The value of the one sample named {@code name} with exactly these labels. */
    public double value(String sampleName, Map<String, String> labels) {
      return samples.stream()
          .filter(s -> s.name().equals(sampleName) && s.labels().equals(labels))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no sample " + sampleName + labels + " in " + this))
          .value();
    }

    public double value(String sampleName) {
      return value(sampleName, Map.of());
    }
  }

  /** The format is broken at a line. */
  public static final class FormatException extends Exception {
    private static final long serialVersionUID = 1L;

    FormatException(int line, String problem) {
      super("line " + line + ": " + problem);
    }
  }

  private final Map<String, Family> families = new LinkedHashMap<>();
  private final Map<String, String> types = new LinkedHashMap<>();
  private final Map<String, String> helps = new LinkedHashMap<>();
  private final Map<String, List<Sample>> samples = new LinkedHashMap<>();
  private final Set<String> seriesSeen = new HashSet<>();
  private final Set<String> closed = new HashSet<>();
  private String current;
  private int line;

  private PrometheusText() {}

  /** Parses a whole exposition; families in the order they first appear. */
  public static Map<String, Family> parse(String text) throws FormatException {
    PrometheusText p = new PrometheusText();
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new FormatException(text.split("\n", -1).length, "the last line has no line feed");
    }
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      p.line = i + 1;
      p.line(lines[i]);
    }
    for (String name : p.samples.keySet()) {
      p.check(name);
    }
    for (Map.Entry<String, List<Sample>> e : p.samples.entrySet()) {
      String name = e.getKey();
      p.families.put(name, new Family(name, p.types.getOrDefault(name, "untyped"),
          p.helps.get(name), List.copyOf(e.getValue())));
    }
    // Declared and without samples is allowed: a counter nothing counted yet.
    for (String name : p.types.keySet()) {
      p.families.computeIfAbsent(name, n -> new Family(n, p.types.get(n), p.helps.get(n),
          List.of()));
    }
    return p.families;
  }

  private void line(String text) throws FormatException {
    if (text.strip().isEmpty()) {
      return;
    }
    if (text.startsWith("#")) {
      comment(text);
      return;
    }
    sample(text);
  }

  private void comment(String text) throws FormatException {
    String[] parts = text.substring(1).stripLeading().split("[ \t]+", 3);
    if (parts.length < 2 || !(parts[0].equals("HELP") || parts[0].equals("TYPE"))) {
      return; // an ordinary comment
    }
    String name = parts[1];
    if (!METRIC.matcher(name).matches()) {
      throw new FormatException(line, "not a metric name: " + name);
    }
    enter(name);
    if (parts[0].equals("HELP")) {
      if (helps.containsKey(name)) {
        throw new FormatException(line, "second HELP for " + name);
      }
      helps.put(name, unescapeHelp(parts.length > 2 ? parts[2] : ""));
    } else {
      if (types.containsKey(name)) {
        throw new FormatException(line, "second TYPE for " + name);
      }
      if (samples.containsKey(name)) {
        throw new FormatException(line, "TYPE for " + name + " after its samples");
      }
      String type = parts.length > 2 ? parts[2].strip() : "";
      if (!TYPES.contains(type)) {
        throw new FormatException(line, "unknown type '" + type + "' for " + name);
      }
      types.put(name, type);
    }
  }

  private void sample(String text) throws FormatException {
    int i = 0;
    int n = text.length();
    while (i < n && isNameChar(text.charAt(i), i == 0)) {
      i++;
    }
    String name = text.substring(0, i);
    if (!METRIC.matcher(name).matches()) {
      throw new FormatException(line, "not a metric name at the start of: " + text);
    }
    Map<String, String> labels = new TreeMap<>();
    if (i < n && text.charAt(i) == '{') {
      i = labels(text, i + 1, labels);
    }
    String rest = text.substring(i);
    if (rest.isEmpty() || !(rest.charAt(0) == ' ' || rest.charAt(0) == '\t')) {
      throw new FormatException(line, "no blank before the value in: " + text);
    }
    String[] fields = rest.strip().split("[ \t]+");
    if (fields.length > 2) {
      throw new FormatException(line, "more than a value and a timestamp in: " + text);
    }
    double value = value(fields[0]);
    Long timestamp = null;
    if (fields.length == 2) {
      if (!TIMESTAMP.matcher(fields[1]).matches()) {
        throw new FormatException(line, "not a timestamp: " + fields[1]);
      }
      timestamp = Long.parseLong(fields[1]);
    }
    String family = familyOf(name);
    enter(family);
    String series = name + labels;
    if (!seriesSeen.add(series)) {
      throw new FormatException(line, "series twice: " + series);
    }
    samples.computeIfAbsent(family, k -> new ArrayList<>())
        .add(new Sample(name, labels, value, timestamp));
  }

  /** Reads labels after the opening brace; returns the index after the closing one. */
  private int labels(String text, int start, Map<String, String> labels) throws FormatException {
    int i = start;
    int n = text.length();
    while (true) {
      if (i < n && text.charAt(i) == '}') {
        return i + 1;
      }
      int nameStart = i;
      while (i < n && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_')
          && text.charAt(i) < 128) {
        i++;
      }
      String label = text.substring(nameStart, i);
      if (!LABEL.matcher(label).matches() || label.startsWith("__")) {
        throw new FormatException(line, "not a label name: '" + label + "' in: " + text);
      }
      if (i + 1 >= n || text.charAt(i) != '=' || text.charAt(i + 1) != '"') {
        throw new FormatException(line, "label " + label + " has no =\"value\" in: " + text);
      }
      i += 2;
      StringBuilder value = new StringBuilder();
      while (true) {
        if (i >= n) {
          throw new FormatException(line, "label value of " + label + " does not end: " + text);
        }
        char c = text.charAt(i);
        if (c == '"') {
          i++;
          break;
        }
        if (c == '\\') {
          if (i + 1 >= n) {
            throw new FormatException(line, "a backslash ends the line: " + text);
          }
          char e = text.charAt(i + 1);
          switch (e) {
            case '\\' -> value.append('\\');
            case '"' -> value.append('"');
            case 'n' -> value.append('\n');
            default -> throw new FormatException(line, "invalid escape \\" + e + " in: " + text);
          }
          i += 2;
        } else {
          value.append(c);
          i++;
        }
      }
      if (labels.put(label, value.toString()) != null) {
        throw new FormatException(line, "label " + label + " twice in: " + text);
      }
      if (i < n && text.charAt(i) == ',') {
        i++;
      } else if (i < n && text.charAt(i) == '}') {
        return i + 1;
      } else {
        throw new FormatException(line, "expected , or } after label " + label + " in: " + text);
      }
    }
  }

  private double value(String text) throws FormatException {
    switch (text) {
      case "NaN":
        return Double.NaN;
      case "+Inf", "Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        if (!FLOAT.matcher(text).matches()) {
          throw new FormatException(line, "not a number: " + text);
        }
        return text.matches("[+-]?0[xX].*") ? Long.decode(text) : Double.parseDouble(text);
    }
  }

  /** The family a sample name belongs to: a histogram's or summary's suffixes are its own. */
  private String familyOf(String name) {
    for (String suffix : List.of("_bucket", "_sum", "_count")) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String type = types.get(base);
        if ("histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"))) {
          return base;
        }
      }
    }
    return name;
  }

  /** A family's lines come together: one seen before, then left, may not come back. */
  private void enter(String family) throws FormatException {
    if (family.equals(current)) {
      return;
    }
    if (closed.contains(family)) {
      throw new FormatException(line, family + " appears again after other families");
    }
    if (current != null) {
      closed.add(current);
    }
    current = family;
  }

  private void check(String name) throws FormatException {
    String type = types.getOrDefault(name, "untyped");
    List<Sample> all = samples.get(name);
    if (type.equals("counter")) {
      for (Sample s : all) {
        if (s.value() < 0 || Double.isNaN(s.value())) {
          throw new FormatException(0, "counter " + name + " is " + s.value());
        }
      }
    }
    if (!type.equals("histogram")) {
      return;
    }
    // Per series of the other labels: buckets in increasing le, counts cumulative, +Inf = count.
    Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
    Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
    Set<Map<String, String>> sums = new HashSet<>();
    for (Sample s : all) {
      if (s.name().equals(name + "_bucket")) {
        if (!s.labels().containsKey("le")) {
          throw new FormatException(0, name + "_bucket without le: " + s);
        }
        Map<String, String> rest = new TreeMap<>(s.labels());
        rest.remove("le");
        buckets.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
      } else if (s.name().equals(name + "_count")) {
        counts.put(s.labels(), s.value());
      } else if (s.name().equals(name + "_sum")) {
        sums.add(s.labels());
      } else {
        throw new FormatException(0, "histogram " + name + " has a sample " + s.name());
      }
    }
    for (Map.Entry<Map<String, String>, List<Sample>> e : buckets.entrySet()) {
      double bound = Double.NEGATIVE_INFINITY;
      double count = 0;
      for (Sample b : e.getValue()) {
        double le = value(b.labels().get("le"));
        if (!(le > bound)) {
          throw new FormatException(0, name + " bucket le=" + b.labels().get("le")
              + " does not increase");
        }
        if (b.value() < count) {
          throw new FormatException(0, name + " bucket le=" + b.labels().get("le")
              + " is not cumulative: " + b.value() + " after " + count);
        }
        bound = le;
        count = b.value();
      }
      if (bound != Double.POSITIVE_INFINITY) {
        throw new FormatException(0, name + " has no +Inf bucket");
      }
      Double total = counts.get(e.getKey());
      if (total == null || total != count) {
        throw new FormatException(0, name + "_count " + total + " differs from +Inf " + count);
      }
      if (!sums.contains(e.getKey())) {
        throw new FormatException(0, name + " has no _sum");
      }
    }
  }

  private static boolean isNameChar(char c, boolean first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'
        || (!first && c >= '0' && c <= '9');
  }

  private static String unescapeHelp(String text) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < text.length()) {
        char e = text.charAt(++i);
        switch (e) {
          case '\\' -> b.append('\\');
          case 'n' -> b.append('\n');
          default -> b.append('\\').append(e);
        }
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
