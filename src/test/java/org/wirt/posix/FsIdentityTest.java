package org.wirt.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.wirt.testing.RealUsers;

class FsIdentityTest {
  private static RealUsers users;
  private static RealUsers.User alice;
  private static Path secret;
  private static Path own;

  @BeforeAll
  static void createUser() throws Exception {
    users = RealUsers.create();
    alice = users.createUser();
    secret = Files.createTempFile(RealUsers.BASE, "root-only", ".txt");
    RealUsers.root("chmod", "0600", secret.toString());
    own = alice.home().resolve("own");
    users.sh(alice, "echo mine > " + own);
  }

  @AfterAll
  static void deleteUser() throws Exception {
    Files.deleteIfExists(secret);
    users.close();
  }

  private static FsIdentity.Scope asAlice() throws Exception {
    return FsIdentity.assume(alice.uid(), alice.gid(), alice.identity().groups());
  }

  @Test
  void userCannotOpenRootOnlyFileButCanOpenOwn() throws Exception {
    try (FsIdentity.Scope scope = asAlice()) {
      assertEquals(alice.uid(), FsIdentity.currentFsuid());
      assertEquals(alice.gid(), FsIdentity.currentFsgid());
      ErrnoException e = assertThrows(ErrnoException.class,
          () -> Fd.open(secret.toString(), Fd.O_RDONLY | Fd.O_CLOEXEC, 0));
      assertEquals("EACCES", e.errnoName());
      assertTrue(e.getMessage().startsWith("open " + secret + ": EACCES"), e.getMessage());
      Fd.open(own.toString(), Fd.O_RDONLY | Fd.O_CLOEXEC, 0).close();
    }
    assertEquals(0, FsIdentity.currentFsuid());
    Fd.open(secret.toString(), Fd.O_RDONLY | Fd.O_CLOEXEC, 0).close();
  }

  @Test
  void otherThreadsKeepRootIdentityMeanwhile() throws Exception {
    CountDownLatch switched = new CountDownLatch(1);
    CountDownLatch checked = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread user = new Thread(() -> {
      try (FsIdentity.Scope scope = asAlice()) {
        switched.countDown();
        assertTrue(checked.await(10, TimeUnit.SECONDS));
        assertEquals(alice.uid(), FsIdentity.currentFsuid());
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    user.start();
    assertTrue(switched.await(10, TimeUnit.SECONDS));
    try {
      assertEquals(0, FsIdentity.currentFsuid());
      Fd.open(secret.toString(), Fd.O_RDONLY | Fd.O_CLOEXEC, 0).close();
    } finally {
      checked.countDown();
      user.join();
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  @Test
  void nestedScopesOfTheSameIdentityRestoreRootOnlyAtTheOutermost() throws Exception {
    try (FsIdentity.Scope outer = asAlice()) {
      try (FsIdentity.Scope inner = asAlice()) {
        assertEquals(alice.uid(), FsIdentity.currentFsuid());
      }
      assertEquals(alice.uid(), FsIdentity.currentFsuid());
      try (FsIdentity.Scope rootAgain = FsIdentity.assume(0, 0, new int[] {0})) {
        assertEquals(0, FsIdentity.currentFsuid());
      }
      assertEquals(alice.uid(), FsIdentity.currentFsuid());
    }
    assertEquals(0, FsIdentity.currentFsuid());
    assertEquals(0, FsIdentity.currentFsgid());
  }
}
