package org.wirt.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.tree.RootFiles;

/**
 * Reads {@code wirt.json}. Every key is checked by hand rather than by data binding so that an
 * unknown key or a bad value stops startup with a message that names it and says what would be
 * accepted (SPEC 9).
 */
public final class ConfigLoader {

  /**
   * The default location of the configuration file, as a constant: the CLIs name it without
   * making this class's JSON mapper, which {@code wirt --version} does not need.
   */
  public static final String DEFAULT_FILE = "/etc/wirt/wirt.json";

  /** The default location of the configuration file. */
  public static final Path DEFAULT_PATH = Path.of(DEFAULT_FILE);

  private static final int MAX_BYTES = 1 << 20;
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}\\$?");
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private ConfigLoader() {}

  /** Reads and validates the file. */
  public static Config load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such file; create it (see examples/wirt.json) or pass --config FILE");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot be read: " + e.getMessage(), e);
    }
    return parse(file.toString(), text);
  }

  /**
   * Reads and validates the file as wirtctl does under sudo: only if root owns it and alone may
   * change it and every directory above it ({@link RootFiles}), so that nobody else's text is
   * taken as root's configuration.
   */
  public static Config loadTrusted(Path file) throws ConfigException {
    byte[] bytes;
    try {
      bytes = RootFiles.read(file, MAX_BYTES);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such file; create it (see examples/wirt.json)");
    } catch (IOException e) {
      throw new ConfigException(e.getMessage(), e);
    }
    return parse(file.toString(), new String(bytes, StandardCharsets.UTF_8));
  }

  /** Returns the configuration with every default, as if the file were {@code {}}. */
  public static Config defaults() {
    try {
      return parse("defaults", "{}");
    } catch (ConfigException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Validates a configuration text; {@code source} names it in messages. */
  public static Config parse(String source, String text) throws ConfigException {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": not valid JSON: " + e.getOriginalMessage()
          + location(e));
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException(source + ": must be a JSON object like {\"group\": \"vmguests\"}");
    }
    Obj top = new Obj(source, "", root);
    top.allow("group", "adminGroup", "treeDir", "libvirtUri", "domainNamePattern",
        "sweepIntervalSeconds", "membersRefreshSeconds", "workers", "maxCommandBytes",
        "stateDir", "logDir", "mail", "quotas", "images", "limits", "console", "metrics", "users",
        "legacyTreeDir", "domains");
    String pattern = top.string("domainNamePattern", "{user}-{vm}");
    if (!pattern.contains("{user}") || !pattern.contains("{vm}")) {
      throw top.bad("domainNamePattern", "must contain both {user} and {vm}, like \"{user}-{vm}\"");
    }
    String treeDir = top.string("treeDir", "wirt");
    if (treeDir.isEmpty() || treeDir.contains("/") || treeDir.startsWith(".")) {
      throw top.bad("treeDir", "must be one directory name inside the home, like \"wirt\"");
    }
    Path logDir = top.absolutePath("logDir", "/var/log/wirt");
    return new Config(
        top.name("group", "vmguests"),
        top.name("adminGroup", "wirtadm"),
        treeDir,
        libvirtUri(top),
        pattern,
        top.integer("sweepIntervalSeconds", 15, 1, 3600),
        top.integer("membersRefreshSeconds", 60, 1, 86400),
        top.integer("workers", 4, 1, 256),
        top.integer("maxCommandBytes", 65536, 16, 16 * 1024 * 1024),
        top.absolutePath("stateDir", "/var/lib/wirt"),
        logDir,
        mail(top.object("mail")),
        quotas(top.object("quotas")),
        images(top.object("images")),
        limits(top.object("limits")),
        console(top.object("console"), logDir),
        metrics(top.object("metrics")),
        users(top.object("users")),
        legacyTreeDir(top, treeDir),
        domains(top.object("domains")));
  }

  /** The old cron script's {@code ~/virsh} (issue 15): null, the default, serves nothing there. */
  private static String legacyTreeDir(Obj top, String treeDir) throws ConfigException {
    String dir = top.optionalString("legacyTreeDir");
    if (dir != null && (dir.isEmpty() || dir.contains("/") || dir.startsWith(".") || dir.equals(treeDir))) {
      throw top.bad("legacyTreeDir", "must be null (off) or one directory name inside the home other"
          + " than treeDir, like \"virsh\"");
    }
    return dir;
  }

  private static String libvirtUri(Obj top) throws ConfigException {
    String uri = top.string("libvirtUri", "qemu:///system");
    Optional<String> problem = LibvirtUris.problem(uri);
    if (problem.isPresent()) {
      throw top.bad("libvirtUri", "is \"" + uri + "\", which " + problem.get() + "; accepted: "
          + LibvirtUris.ACCEPTED);
    }
    return uri;
  }

  private static MailConfig mail(Obj o) throws ConfigException {
    o.allow("enabled", "smtpHost", "smtpPort", "starttls", "username", "passwordFile", "sendmail", "from",
        "userAddress", "adminAddress", "digestMinutes", "giveUpDays");
    String userAddress = o.string("userAddress", "{user}@localhost");
    if (!userAddress.contains("{user}")) {
      throw o.bad("userAddress", "must contain {user}, like \"{user}@localhost\"");
    }
    String username = o.optionalString("username");
    Path passwordFile = o.has("passwordFile") ? o.absolutePath("passwordFile", null) : null;
    if ((username == null) != (passwordFile == null)) {
      String set = username == null ? "passwordFile" : "username";
      String missing = username == null ? "username" : "passwordFile";
      throw o.bad(set, "is set, so 'mail." + missing + "' is needed too: SMTP authentication takes"
          + " both");
    }
    return new MailConfig(
        o.bool("enabled", true),
        o.string("smtpHost", "localhost"),
        o.integer("smtpPort", 25, 1, 65535),
        o.bool("starttls", false),
        username,
        passwordFile,
        o.has("sendmail") ? o.absolutePath("sendmail", null) : null,
        o.string("from", "wirt@localhost"),
        userAddress,
        o.string("adminAddress", "root"),
        o.integer("digestMinutes", 15, 1, 1440),
        o.integer("giveUpDays", 3, 1, 365));
  }

  private static QuotaConfig quotas(Obj o) throws ConfigException {
    o.allow("default", "groups", "users");
    Quota defaults = quota(o.object("default"), new Quota(4, 8, 8192, 100));
    return new QuotaConfig(defaults, quotaMap(o.object("groups"), defaults),
        quotaMap(o.object("users"), defaults));
  }

  private static Map<String, Quota> quotaMap(Obj o, Quota defaults) throws ConfigException {
    Map<String, Quota> map = new LinkedHashMap<>();
    for (String name : o.keys()) {
      o.checkName(name);
      map.put(name, quota(o.object(name), defaults));
    }
    return map;
  }

  private static Quota quota(Obj o, Quota base) throws ConfigException {
    o.allow("vms", "vcpus", "memoryMiB", "diskGiB", "domains");
    return new Quota(
        o.integer("vms", base.vms(), 0, 100_000),
        o.integer("vcpus", base.vcpus(), 0, 1_000_000),
        o.integer("memoryMiB", (int) Math.min(base.memoryMiB(), Integer.MAX_VALUE), 0, Integer.MAX_VALUE),
        o.integer("diskGiB", (int) Math.min(base.diskGiB(), Integer.MAX_VALUE), 0, Integer.MAX_VALUE),
        o.integer("domains", base.domains(), 0, 100_000));
  }

  private static DomainsConfig domains(Obj o) throws ConfigException {
    o.allow("zone", "network");
    String given = o.optionalString("zone");
    String zone = given == null ? DomainsConfig.DEFAULTS.zone() : given.toLowerCase(java.util.Locale.ROOT);
    if (zone.endsWith(".")) {
      zone = zone.substring(0, zone.length() - 1);
    }
    if (!zone.isEmpty() && !org.wirt.command.HostNames.isZone(zone)) {
      throw o.bad("zone", "is \"" + zone + "\", which is no DNS zone; a zone is DNS labels ("
          + org.wirt.command.HostNames.LABEL_RULE + ") joined by dots, at most 200 characters,"
          + " like \"lab.example.org\", or null to turn host names off");
    }
    String network = o.string("network", DomainsConfig.DEFAULTS.network());
    if (!org.wirt.command.NetworkNames.isName(network)) {
      throw o.bad("network", "is \"" + network + "\", which is no libvirt network name; like"
          + " \"wirt\"");
    }
    return new DomainsConfig(zone, network);
  }

  private static ImagesConfig images(Obj o) throws ConfigException {
    o.allow("pool", "directory", "vmPool", "vmDirectory", "domainType", "networks");
    Path directory = o.absolutePath("directory", "/var/lib/libvirt/wirt/images");
    Path vmDirectory = o.absolutePath("vmDirectory",
        directory.resolveSibling("vms").toString());
    if (vmDirectory.equals(directory)) {
      throw o.bad("vmDirectory", "must differ from 'images.directory': golden images and VM disks "
          + "live in pools of their own");
    }
    String pool = o.string("pool", "wirt-images");
    String vmPool = o.string("vmPool", "wirt-vms");
    if (pool.equals(vmPool)) {
      throw o.bad("vmPool", "must differ from 'images.pool', like \"wirt-vms\"");
    }
    String type = o.string("domainType", "kvm");
    if (!type.equals("kvm") && !type.equals("qemu") && !type.equals("test")) {
      throw o.bad("domainType", "must be \"kvm\", \"qemu\" (emulation without KVM) or "
          + "\"test\" (libvirt's test driver)");
    }
    return new ImagesConfig(pool, directory, vmPool, vmDirectory, type,
        o.has("networks") ? o.strings("networks") : List.of("wirt"));
  }

  private static ConsoleConfig console(Obj o, Path logDir) throws ConfigException {
    o.allow("runDir", "idleMinutes", "maxMinutes", "sessions", "logDir", "addressPollSeconds");
    return new ConsoleConfig(
        o.absolutePath("runDir", "/run/wirt"),
        Duration.ofMinutes(o.integer("idleMinutes", 60, 1, 7 * 24 * 60)),
        Duration.ofMinutes(o.integer("maxMinutes", 24 * 60, 1, 31 * 24 * 60)),
        o.integer("sessions", 64, 1, 10_000),
        o.absolutePath("logDir", logDir.resolve("console").toString()),
        Duration.ofSeconds(o.integer("addressPollSeconds", 3, 1, 3600)));
  }

  private static MetricsConfig metrics(Obj o) throws ConfigException {
    o.allow("vmSeconds", "textfile", "textfileSeconds");
    MetricsConfig d = MetricsConfig.DEFAULTS;
    Optional<Path> textfile = Optional.empty();
    if (o.has("textfile")) {
      Path path = o.absolutePath("textfile", null);
      // node_exporter's textfile collector reads only *.prom, and wirtd writes a temporary beside
      // the file and renames it over: a name without the suffix would never be read.
      if (!path.getFileName().toString().endsWith(".prom")) {
        throw o.bad("textfile", "must name a file ending in .prom in node_exporter's textfile "
            + "directory, like \"/var/lib/prometheus/node-exporter/wirt.prom\", not \""
            + path + "\"");
      }
      textfile = Optional.of(path);
    }
    return new MetricsConfig(
        Duration.ofSeconds(o.integer("vmSeconds", (int) d.vmInterval().toSeconds(), 10, 86_400)),
        textfile,
        Duration.ofSeconds(o.integer("textfileSeconds", (int) d.textfileInterval().toSeconds(), 1,
            3600)));
  }

  private static LimitsConfig limits(Obj o) throws ConfigException {
    LimitsConfig d = LimitsConfig.DEFAULTS;
    o.allow("pendingRecords", "pendingRecordBytes", "recordAttempts", "recordGiveUpMinutes",
        "refusalsPerMinute", "refusalBurst", "rejectedKept", "outboxPerUser", "auditRotateMiB",
        "auditKept", "watchesPerUser");
    return new LimitsConfig(
        o.integer("pendingRecords", d.pendingRecords(), 1, 100_000),
        o.integer("pendingRecordBytes", d.pendingRecordBytes(), 4096, 1 << 30),
        o.integer("recordAttempts", d.recordAttempts(), 1, 1_000_000),
        o.integer("recordGiveUpMinutes", d.recordGiveUpMinutes(), 1, 7 * 24 * 60),
        o.integer("refusalsPerMinute", d.refusalsPerMinute(), 1, 60_000),
        o.integer("refusalBurst", d.refusalBurst(), 1, 100_000),
        o.integer("rejectedKept", d.rejectedKept(), 1, 1_000_000),
        o.integer("outboxPerUser", d.outboxPerUser(), 1, 100_000),
        o.integer("auditRotateMiB", d.auditRotateMiB(), 1, 1 << 20),
        o.integer("auditKept", d.auditKept(), 1, 1000),
        o.integer("watchesPerUser", d.watchesPerUser(), 1, 1_000_000));
  }

  private static Map<String, Path> users(Obj o) throws ConfigException {
    Map<String, Path> users = new LinkedHashMap<>();
    for (String name : o.keys()) {
      o.checkName(name);
      users.put(name, o.absolutePath(name, null));
    }
    return users;
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null ? ""
        : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }

  /** One JSON object of the file, with the path of keys that leads to it for messages. */
  private record Obj(String source, String prefix, JsonNode node) {

    void allow(String... known) throws ConfigException {
      Set<String> allowed = Set.of(known);
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!allowed.contains(key)) {
          throw new ConfigException(source + ": unknown key '" + prefix + key + "'; known keys here: "
              + String.join(", ", new TreeSet<>(allowed)));
        }
      }
    }

    boolean has(String key) {
      JsonNode value = node.get(key);
      return value != null && !value.isNull();
    }

    String optionalString(String key) throws ConfigException {
      return has(key) ? string(key, null) : null;
    }

    /** A list of libvirt network names; empty when absent. */
    List<String> strings(String key) throws ConfigException {
      JsonNode value = node.get(key);
      if (value == null || value.isNull()) {
        return List.of();
      }
      if (!value.isArray()) {
        throw bad(key, "must be a list of libvirt network names, like [\"default\"]");
      }
      List<String> names = new java.util.ArrayList<>();
      for (JsonNode item : value) {
        if (!item.isTextual() || !item.asText().matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
          throw bad(key, "holds " + item + "; each entry must be a libvirt network name, like "
              + "\"default\"");
        }
        names.add(item.asText());
      }
      return names;
    }

    boolean bool(String key, boolean fallback) throws ConfigException {
      JsonNode value = node.get(key);
      if (value == null || value.isNull()) {
        return fallback;
      }
      if (!value.isBoolean()) {
        throw bad(key, "must be true or false, not " + value);
      }
      return value.asBoolean();
    }

    Iterable<String> keys() {
      return node::fieldNames;
    }

    Obj object(String key) throws ConfigException {
      JsonNode value = node.get(key);
      if (value == null || value.isNull()) {
        return new Obj(source, prefix + key + ".", JSON.createObjectNode());
      }
      if (!value.isObject()) {
        throw bad(key, "must be a JSON object");
      }
      return new Obj(source, prefix + key + ".", value);
    }

    String string(String key, String fallback) throws ConfigException {
      JsonNode value = node.get(key);
      if (value == null || value.isNull()) {
        if (fallback == null) {
          throw bad(key, "is required");
        }
        return fallback;
      }
      if (!value.isTextual() || value.asText().isBlank()) {
        throw bad(key, "must be a non-empty string, not " + value);
      }
      return value.asText();
    }

    String name(String key, String fallback) throws ConfigException {
      String value = string(key, fallback);
      if (!NAME.matcher(value).matches()) {
        throw bad(key, "must be a Unix group or user name like \"vmguests\", not \"" + value + "\"");
      }
      return value;
    }

    void checkName(String key) throws ConfigException {
      if (!NAME.matcher(key).matches()) {
        throw new ConfigException(source + ": '" + prefix + key
            + "' is not a Unix user or group name (lower case letters, digits, _ . -)");
      }
    }

    int integer(String key, int fallback, int min, int max) throws ConfigException {
      JsonNode value = node.get(key);
      if (value == null || value.isNull()) {
        return fallback;
      }
      if (!value.isIntegralNumber() || !value.canConvertToInt()
          || value.asInt() < min || value.asInt() > max) {
        throw bad(key, "must be a whole number from " + min + " to " + max + ", not " + value);
      }
      return value.asInt();
    }

    Path absolutePath(String key, String fallback) throws ConfigException {
      String value = string(key, fallback);
      Path path = Path.of(value);
      if (!path.isAbsolute() || !path.normalize().equals(path)) {
        throw bad(key, "must be an absolute, normalized path like \"/var/lib/wirt\", not \"" + value + "\"");
      }
      return path;
    }

    ConfigException bad(String key, String problem) {
      return new ConfigException(source + ": '" + prefix + key + "' " + problem);
    }
  }
}
