package org.wirt.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkNamesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void anAbsentKeyMeansTheAdminsNetworks() throws Exception {
    assertNull(NetworkNames.parse(null));
    assertEquals(List.of("wirt", "lab"), NetworkNames.choose(null, List.of("wirt", "lab")));
  }

  @Test
  void anEmptyListMeansNoNetworkCard() throws Exception {
    assertEquals(List.of(), NetworkNames.choose(NetworkNames.parse(JSON.readTree("[]")),
        List.of("wirt")));
  }

  @Test
  void aNamedNetworkMustBeAllowed() throws Exception {
    assertEquals(List.of("lab"), NetworkNames.choose(List.of("lab"), List.of("wirt", "lab")));
    Refusal r = assertThrows(Refusal.class,
        () -> NetworkNames.choose(List.of("default"), List.of("wirt")));
    assertEquals("'create' \"networks\" names 'default', which is not a network users may "
        + "choose; allowed: wirt (the admin's images.networks)", r.getMessage());
  }

  @Test
  void refusesWhatIsNoListOfNames() throws Exception {
    String[][] cases = {
        {"\"wirt\"", "'create' \"networks\" must be a list of at most 8 network names, like "
            + "[\"wirt\"], or [] for no network card; found '\"wirt\"'"},
        {"[\"../x\"]", "'create' \"networks\" holds '\"../x\"', which is no network name "
            + "(letters, digits, '_', '.', '-', up to 64)"},
        {"[\"a\", \"a\"]", "'create' \"networks\" names 'a' twice; name each network once"}};
    for (String[] c : cases) {
      Refusal r = assertThrows(Refusal.class, () -> NetworkNames.parse(JSON.readTree(c[0])));
      assertEquals(c[1], r.getMessage(), c[0]);
    }
  }
}
