package org.wirt.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;

/** A long operation's progress in status.json (consolidate), in a real tree of root's. */
@Tag("root")
class RecorderOperationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void showsTheOperationsPercentAndRemovesItWhenItEnds(@TempDir Path home) throws Exception {
    Files.createDirectories(home.resolve("wirt"));
    HomeTree tree = new HomeTree(new Identity("root", 0, 0, new int[0]), home, "wirt");
    Recorder recorder = new Recorder(Clock.systemUTC(), new AuditLog(home.resolve("log")));
    recorder.status(tree, "web", new DomainStatus(UUID.randomUUID(), "root-web",
        DomainState.SHUTOFF, "shutoff", 1, 128, false, List.of()), "connected");
    Path status = home.resolve("wirt/info/vm/web/status.json");

    recorder.operation(tree, "web", "consolidate", 40);
    JsonNode during = JSON.readTree(status.toFile());
    assertEquals("consolidate", during.at("/operation/verb").asText());
    assertEquals(40, during.at("/operation/percent").asInt());
    assertEquals("shutoff", during.get("state").asText());

    recorder.operation(tree, "web", "consolidate", null);
    assertFalse(JSON.readTree(status.toFile()).has("operation"));
  }
}
