package org.wirt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  @Test
  void theExampleConfigurationIsValidAndSpellsOutTheDefaults() throws Exception {
    assertEquals(ConfigLoader.parse("wirt.json", "{}"),
        ConfigLoader.load(Path.of("examples/wirt.json")));
  }

  @Test
  void emptyObjectGivesTheDocumentedDefaults() throws ConfigException {
    Config c = ConfigLoader.parse("wirt.json", "{}");
    assertEquals("vmguests", c.group());
    assertEquals("wirtadm", c.adminGroup());
    assertEquals("wirt", c.treeDir());
    assertEquals("qemu:///system", c.libvirtUri());
    assertEquals("{user}-{vm}", c.domainNamePattern());
    assertEquals(15, c.sweepIntervalSeconds());
    assertEquals(4, c.workers());
    assertEquals(65536, c.maxCommandBytes());
    assertEquals(Path.of("/var/lib/wirt"), c.stateDir());
    assertEquals(Path.of("/var/log/wirt"), c.logDir());
    assertEquals(new MailConfig(true, "localhost", 25, false, null, null, null, "wirt@localhost",
        "{user}@localhost", "root", 15, 3), c.mail());
    assertEquals(new QuotaConfig.Quota(4, 8, 8192, 100, 5), c.quotas().defaults());
    assertEquals(new DomainsConfig("", "wirt"), c.domains());
    assertEquals(false, c.domains().enabled());
    assertEquals(new LimitsConfig(32, 1 << 20, 240, 60, 30, 20, 200, 50, 16, 5, 256), c.limits());
    assertEquals(Map.of(), c.users());
    assertEquals(new MetricsConfig(Duration.ofSeconds(60), Optional.empty(),
        Duration.ofSeconds(15)), c.metrics());
  }

  @Test
  void readsEveryKey() throws ConfigException {
    Config c = ConfigLoader.parse("wirt.json", """
        {"group": "lab", "adminGroup": "labadm", "treeDir": "vms", "libvirtUri": "test:///default",
         "domainNamePattern": "u-{user}-{vm}", "sweepIntervalSeconds": 5, "workers": 2,
         "maxCommandBytes": 1024, "stateDir": "/srv/wirt", "logDir": "/srv/log",
         "mail": {"smtpHost": "mx", "smtpPort": 2525, "from": "w@h", "userAddress": "{user}@h",
                  "adminAddress": "ops@h"},
         "quotas": {"default": {"vms": 1}, "users": {"alice": {"vcpus": 16}}},
         "images": {"pool": "gold", "directory": "/srv/images"},
         "limits": {"pendingRecords": 4, "pendingRecordBytes": 8192, "recordAttempts": 3,
                    "recordGiveUpMinutes": 5, "refusalsPerMinute": 6, "refusalBurst": 2,
                    "rejectedKept": 10, "outboxPerUser": 7, "auditRotateMiB": 1, "auditKept": 2,
                    "watchesPerUser": 8},
         "metrics": {"vmSeconds": 30, "textfile": "/var/lib/prometheus/node-exporter/wirt.prom",
                     "textfileSeconds": 5},
         "users": {"alice": "/home/alice"}}
        """);
    assertEquals(new MetricsConfig(Duration.ofSeconds(30),
        Optional.of(Path.of("/var/lib/prometheus/node-exporter/wirt.prom")),
        Duration.ofSeconds(5)), c.metrics());
    assertEquals("lab", c.group());
    assertEquals(2525, c.mail().smtpPort());
    assertEquals(new QuotaConfig.Quota(1, 8, 8192, 100), c.quotas().defaults());
    assertEquals(new QuotaConfig.Quota(1, 16, 8192, 100), c.quotas().users().get("alice"));
    assertEquals(Map.of("alice", Path.of("/home/alice")), c.users());
    assertEquals("gold", c.images().pool());
    assertEquals(new LimitsConfig(4, 8192, 3, 5, 6, 2, 10, 7, 1, 2, 8), c.limits());
  }

  @Test
  void readsTheHostNameKeys() throws ConfigException {
    Config c = ConfigLoader.parse("wirt.json", """
        {"domains": {"zone": "Lab.Example.ORG.", "network": "lab-net"},
         "quotas": {"default": {"domains": 2}, "users": {"alice": {"domains": 0}}}}
        """);
    assertEquals(new DomainsConfig("lab.example.org", "lab-net"), c.domains());
    assertEquals(true, c.domains().enabled());
    assertEquals(2, c.quotas().defaults().domains());
    assertEquals(0, c.quotas().users().get("alice").domains());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"domains\": {\"zone\": \"lab..org\"}}|f: 'domains.zone' is \"lab..org\", which is no DNS zone; a zone is DNS labels (one DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-', in lower case) joined by dots, at most 200 characters, like \"lab.example.org\", or null to turn host names off",
      "{\"domains\": {\"zone\": \"a_b.org\"}}|f: 'domains.zone' is \"a_b.org\", which is no DNS zone; a zone is DNS labels (one DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-', in lower case) joined by dots, at most 200 characters, like \"lab.example.org\", or null to turn host names off",
      "{\"domains\": {\"network\": \"a b\"}}|f: 'domains.network' is \"a b\", which is no libvirt network name; like \"wirt\"",
      "{\"domains\": {\"zones\": \"x\"}}|f: unknown key 'domains.zones'; known keys here: network, zone",
      "{\"quotas\": {\"default\": {\"domains\": -1}}}|f: 'quotas.default.domains' must be a whole number from 0 to 100000, not -1",
  })
  void refusesBadHostNameKeys(String json, String message) {
    assertEquals(message, assertThrows(ConfigException.class, () -> ConfigLoader.parse("f", json))
        .getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"grup\": \"x\"}|f: unknown key 'grup'; known keys here: adminGroup, console, domainNamePattern, domains, group, images, legacyTreeDir, libvirtUri, limits, logDir, mail, maxCommandBytes, membersRefreshSeconds, metrics, quotas, stateDir, sweepIntervalSeconds, treeDir, users, workers",
      "{\"mail\": {\"port\": 25}}|f: unknown key 'mail.port'; known keys here: adminAddress, digestMinutes, enabled, from, giveUpDays, passwordFile, sendmail, smtpHost, smtpPort, starttls, userAddress, username",
      "{\"mail\": {\"username\": \"wirt\"}}|f: 'mail.username' is set, so 'mail.passwordFile' is needed too: SMTP authentication takes both",
      "{\"mail\": {\"starttls\": \"yes\"}}|f: 'mail.starttls' must be true or false, not \"yes\"",
      "{\"workers\": 0}|f: 'workers' must be a whole number from 1 to 256, not 0",
      "{\"workers\": \"4\"}|f: 'workers' must be a whole number from 1 to 256, not \"4\"",
      "{\"stateDir\": \"var/lib\"}|f: 'stateDir' must be an absolute, normalized path like \"/var/lib/wirt\", not \"var/lib\"",
      "{\"domainNamePattern\": \"{vm}\"}|f: 'domainNamePattern' must contain both {user} and {vm}, like \"{user}-{vm}\"",
      "{\"group\": \"Bad Group\"}|f: 'group' must be a Unix group or user name like \"vmguests\", not \"Bad Group\"",
      "{\"quotas\": {\"default\": {\"vms\": -1}}}|f: 'quotas.default.vms' must be a whole number from 0 to 100000, not -1",
      "{\"users\": {\"alice\": \"home\"}}|f: 'users.alice' must be an absolute, normalized path like \"/var/lib/wirt\", not \"home\"",
      "{\"limits\": {\"watches\": 1}}|f: unknown key 'limits.watches'; known keys here: auditKept, auditRotateMiB, outboxPerUser, pendingRecordBytes, pendingRecords, recordAttempts, recordGiveUpMinutes, refusalBurst, refusalsPerMinute, rejectedKept, watchesPerUser",
      "{\"limits\": {\"watchesPerUser\": 0}}|f: 'limits.watchesPerUser' must be a whole number from 1 to 1000000, not 0",
      "{\"limits\": {\"refusalsPerMinute\": 1.5}}|f: 'limits.refusalsPerMinute' must be a whole number from 1 to 60000, not 1.5",
      "{\"limits\": {\"pendingRecordBytes\": 100}}|f: 'limits.pendingRecordBytes' must be a whole number from 4096 to 1073741824, not 100",
      "{\"metrics\": {\"textFile\": \"/x.prom\"}}|f: unknown key 'metrics.textFile'; known keys here: textfile, textfileSeconds, vmSeconds",
      "{\"metrics\": {\"vmSeconds\": 5}}|f: 'metrics.vmSeconds' must be a whole number from 10 to 86400, not 5",
      "{\"metrics\": {\"textfileSeconds\": 0}}|f: 'metrics.textfileSeconds' must be a whole number from 1 to 3600, not 0",
      "{\"metrics\": {\"textfile\": \"wirt.prom\"}}|f: 'metrics.textfile' must be an absolute, normalized path like \"/var/lib/wirt\", not \"wirt.prom\"",
      "{\"metrics\": {\"textfile\": \"/var/lib/prometheus/node-exporter/wirt.txt\"}}|f: 'metrics.textfile' must name a file ending in .prom in node_exporter's textfile directory, like \"/var/lib/prometheus/node-exporter/wirt.prom\", not \"/var/lib/prometheus/node-exporter/wirt.txt\"",
      "[]|f: must be a JSON object like {\"group\": \"vmguests\"}"})
  void refusesWithAMessageNamingTheKey(String json, String message) {
    assertEquals(message, assertThrows(ConfigException.class, () -> ConfigLoader.parse("f", json)).getMessage());
  }

  @Test
  void refusesDuplicateKeysAndBrokenJson() {
    assertThrows(ConfigException.class, () -> ConfigLoader.parse("f", "{\"group\":\"a\",\"group\":\"b\"}"));
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("f", "{\"group\": }"));
    assertEquals(true, e.getMessage().startsWith("f: not valid JSON: "), e.getMessage());
    assertEquals(true, e.getMessage().contains("(line 1, column"), e.getMessage());
  }

  @Test
  void missingFileSaysHowToFixIt() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(Path.of("/nonexistent/wirt.json")));
    assertEquals("/nonexistent/wirt.json: no such file; create it (see examples/wirt.json) or pass --config FILE",
        e.getMessage());
  }

  @Test
  void theOldVirshLayoutIsServedOnlyWhenNamed() throws ConfigException {
    assertEquals(Optional.empty(), ConfigLoader.parse("f", "{}").legacyTree());
    assertEquals(Optional.empty(), ConfigLoader.parse("f", "{\"legacyTreeDir\": null}").legacyTree());
    assertEquals(Optional.of("virsh"), ConfigLoader.parse("f", "{\"legacyTreeDir\": \"virsh\"}").legacyTree());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"legacyTreeDir\": \"wirt\"}",
      "{\"legacyTreeDir\": \"a/b\"}",
      "{\"legacyTreeDir\": \"..\"}"})
  void refusesALegacyTreeDirThatIsNotOneOtherDirectory(String json) {
    assertEquals("f: 'legacyTreeDir' must be null (off) or one directory name inside the home other than"
        + " treeDir, like \"virsh\"",
        assertThrows(ConfigException.class, () -> ConfigLoader.parse("f", json)).getMessage());
  }
}
