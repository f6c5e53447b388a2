package org.wirt.users;

import java.nio.file.Path;
import java.util.Objects;
import org.wirt.tree.Identity;

/** A user wirt serves: who they are and where their home is. */
public record Member(Identity identity, Path home) {
  public Member {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(home, "home");
  }

  public String name() {
    return identity.user();
  }

  public int uid() {
    return identity.uid();
  }
}
