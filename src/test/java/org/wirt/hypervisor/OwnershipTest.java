package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class OwnershipTest {
  private static final ManagedDomain A_B_C =
      new ManagedDomain(UUID.randomUUID(), "a-b-c", new Owner("a-b", 1002, "c"));
  private static final ManagedDomain ALICE_WEB =
      new ManagedDomain(UUID.randomUUID(), "alice-web", new Owner("alice", 1001, "web"));
  private static final ManagedDomain ALICE_DB =
      new ManagedDomain(UUID.randomUUID(), "alice-db", new Owner("alice", 1001, "db"));

  @Test
  void nameCollisionNeverHandsOneUserTheOthersDomain() {
    Ownership ownership = new Ownership(List.of(A_B_C));

    assertEquals(Optional.empty(), ownership.find("a", 1001, "b-c"));
    assertEquals(Optional.of(A_B_C), ownership.find("a-b", 1002, "c"));
    assertEquals(List.of(), ownership.ownedBy("a", 1001));
  }

  @Test
  void findNeedsBothUserNameAndUid() {
    Ownership ownership = new Ownership(List.of(ALICE_WEB));

    assertEquals(Optional.of(ALICE_WEB), ownership.find("alice", 1001, "web"));
    assertEquals(Optional.empty(), ownership.find("alice", 2001, "web"));
    assertEquals(Optional.empty(), ownership.find("mallory", 1001, "web"));
    assertEquals(List.of(), ownership.ownedBy("alice", 2001));
    assertEquals(List.of(), ownership.ownedBy("mallory", 1001));
  }

  @Test
  void listsUsersDomainsByVmName() {
    Ownership ownership = new Ownership(List.of(ALICE_WEB, A_B_C, ALICE_DB));

    assertEquals(List.of(ALICE_DB, ALICE_WEB), ownership.ownedBy("alice", 1001));
  }

  @Test
  void ambiguousOwnerFindsNothing() {
    ManagedDomain copy = new ManagedDomain(UUID.randomUUID(), "web-copy", ALICE_WEB.owner());
    Ownership ownership = new Ownership(List.of(ALICE_WEB, copy));

    assertEquals(Optional.empty(), ownership.find("alice", 1001, "web"));
    assertEquals(Optional.of(copy), ownership.byUuid(copy.uuid()));

    ownership.remove(copy.uuid());
    assertEquals(Optional.of(ALICE_WEB), ownership.find("alice", 1001, "web"));
  }

  @Test
  void updateReplacesAndRemoveForgets() {
    Ownership ownership = new Ownership();
    ownership.update(ALICE_WEB);
    ManagedDomain reassigned = new ManagedDomain(ALICE_WEB.uuid(), "alice-web", new Owner("bob", 1003, "web"));

    ownership.update(reassigned);

    assertEquals(Optional.empty(), ownership.find("alice", 1001, "web"));
    assertEquals(Optional.of(reassigned), ownership.find("bob", 1003, "web"));
    ownership.remove(ALICE_WEB.uuid());
    assertEquals(Optional.empty(), ownership.byUuid(ALICE_WEB.uuid()));
    assertEquals(List.of(), ownership.all());
  }
}
