package org.wirt.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.wirt.testing.RealUsers;

class NssTest {
  private final Nss nss = Nss.system();

  @Test
  void findsRootByNameAndUid() {
    assertEquals(new Passwd("root", 0, 0, "/root"), nss.user("root").orElseThrow());
    assertEquals("root", nss.user(0).orElseThrow().name());
  }

  @Test
  void unknownUserIsEmpty() {
    assertTrue(nss.user("no-such-user-wirt").isEmpty());
    assertTrue(nss.group("no-such-group-wirt").isEmpty());
  }

  @Test
  void enumeratesAllUsersIncludingRoot() {
    assertTrue(nss.allUsers().stream().anyMatch(p -> p.uid() == 0 && p.name().equals("root")));
  }

  @Test
  void findsARealGroupWithItsMembersAndTheirGroupList() throws Exception {
    try (RealUsers users = RealUsers.create()) {
      String group = users.createGroup();
      RealUsers.User member = users.createUser(group);
      GroupEntry entry = nss.group(group).orElseThrow();
      assertEquals(group, entry.name());
      assertEquals(java.util.List.of(member.name()), entry.members());
      int[] list = nss.groupList(member.name(), member.gid());
      assertTrue(Arrays.stream(list).anyMatch(g -> g == entry.gid()), Arrays.toString(list));
      assertTrue(Arrays.stream(list).anyMatch(g -> g == member.gid()), Arrays.toString(list));
    }
  }

  @Test
  void reportsTheEffectiveUid() {
    RealUsers.requireRoot();
    assertEquals(0, nss.euid());
  }
}
