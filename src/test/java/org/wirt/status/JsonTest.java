package org.wirt.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;

class JsonTest {

  @Test
  void historyLineIsOneLineWithEscapedText() {
    Outcome o = new Outcome(Instant.parse("2026-11-22T10:00:00Z"), "alice", "web", null, "start",
        null, Result.REJECTED, "command/vm/web/st\\x0aart: \"bad\"\nname\u2028\u202e", 3);
    String line = new String(Json.line(o), StandardCharsets.UTF_8);
    assertEquals("{\"time\":\"2026-11-22T10:00:00Z\",\"user\":\"alice\",\"vm\":\"web\",\"domain\":null,"
        + "\"verb\":\"start\",\"tag\":null,\"result\":\"rejected\",\"message\":"
        + "\"command/vm/web/st\\\\x0aart: \\\"bad\\\"\\\\x0aname\\\\xe2\\\\x80\\\\xa8"
        + "\\\\xe2\\\\x80\\\\xae\",\"durationMs\":3}\n", line);
  }

  @Test
  void statusHasEverySpecKey() {
    UUID id = UUID.fromString("6695eb01-f6a4-8304-79aa-97f2502e193f");
    DomainStatus s = new DomainStatus(id, "alice-web", DomainState.RUNNING, "booted", 2, 1024, true,
        List.of(new DomainStatus.Address("eth0", "52:54:00:00:00:01", "192.0.2.5", 24)));
    String json = Json.compact(Json.status("web", s, null, "connected"));
    assertEquals("{\"vm\":\"web\",\"domain\":\"alice-web\",\"uuid\":\"" + id + "\",\"state\":\"running\","
        + "\"reason\":\"booted\",\"vcpus\":2,\"memoryMiB\":1024,\"autostart\":true,\"addresses\":"
        + "[{\"interface\":\"eth0\",\"mac\":\"52:54:00:00:00:01\",\"ip\":\"192.0.2.5\",\"prefix\":24}],"
        + "\"libvirt\":\"connected\",\"lastCommand\":null}", json);
  }
}
