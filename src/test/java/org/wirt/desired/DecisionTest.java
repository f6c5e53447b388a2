package org.wirt.desired;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.wirt.command.Command;
import org.wirt.command.CommandParser;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.DomainState;

class DecisionTest {
  private static final DesiredSettings RUNNING =
      new DesiredSettings(DesiredSettings.State.RUNNING, null, null, null);
  private static final DesiredSettings SHUTOFF =
      new DesiredSettings(DesiredSettings.State.SHUTOFF, null, null, null);
  private static final Memory FRESH = Memory.empty("h1");

  private static Effective vm(DomainState state) {
    return new Effective(state, 1, 512, false, 1, 512);
  }

  private static Decision.Plan plan(DesiredSettings d, Effective now, Memory m) {
    return Decision.plan(d, now, m);
  }

  @Test
  void doesNothingWhenTheVmMatches() {
    assertEquals(new Decision.Plan(java.util.Optional.empty(), List.of()),
        plan(RUNNING, vm(DomainState.RUNNING), FRESH));
    assertEquals(new Decision.Plan(java.util.Optional.empty(), List.of()),
        plan(SHUTOFF, vm(DomainState.SHUTOFF), FRESH));
    assertEquals(new Decision.Plan(java.util.Optional.empty(), List.of()),
        plan(new DesiredSettings(null, 1, 512, false), vm(DomainState.SHUTOFF), FRESH));
  }

  @Test
  void startsAVmThatIsOffOrCrashed() {
    for (DomainState off : List.of(DomainState.SHUTOFF, DomainState.CRASHED)) {
      Decision.Plan p = plan(RUNNING, vm(off), FRESH);
      assertEquals(new Command.Start(), p.next().orElseThrow().command());
      assertEquals(List.of("state running: starting"), p.pending());
    }
  }

  @Test
  void stopsARunningOrPausedVmForcingItAfterTheTimeout() {
    for (DomainState on : List.of(DomainState.RUNNING, DomainState.PAUSED)) {
      Decision.Step s = plan(SHUTOFF, vm(on), FRESH).next().orElseThrow();
      assertEquals(new Command.Stop(Command.Stop.DEFAULT_TIMEOUT, true), s.command());
    }
  }

  @Test
  void theStepsContentParsesBackToTheSameCommandAsRecoveryReadsIt() throws Refusal {
    List<Decision.Step> steps = List.of(
        plan(SHUTOFF, vm(DomainState.RUNNING), FRESH).next().orElseThrow(),
        plan(RUNNING, vm(DomainState.SHUTOFF), FRESH).next().orElseThrow(),
        plan(new DesiredSettings(null, 4, 2048, true), vm(DomainState.SHUTOFF), FRESH)
            .next().orElseThrow());
    for (Decision.Step s : steps) {
      assertEquals(s.command(), CommandParser.parse(s.command().verb(), s.content()),
          new String(s.content(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void configuresOnlyWhatDiffersBeforeItStarts() {
    Decision.Plan p = plan(new DesiredSettings(DesiredSettings.State.RUNNING, 2, 512, true),
        vm(DomainState.SHUTOFF), FRESH);
    assertEquals(new Command.Config(2, null, true), p.next().orElseThrow().command());
    assertEquals(List.of("config vcpus 2, autostart true: being applied",
        "state running: starting"), p.pending());
  }

  @Test
  void aRunningVmGetsNewSettingsAtItsNextBoot() {
    Effective configured = new Effective(DomainState.RUNNING, 1, 512, false, 2, 1024);
    Decision.Plan p = plan(new DesiredSettings(DesiredSettings.State.RUNNING, 2, 1024, null),
        configured, FRESH);
    assertTrue(p.next().isEmpty());
    assertEquals(List.of("vcpus 2 applies at next boot", "memoryMiB 1024 applies at next boot"),
        p.pending());
  }

  @Test
  void aRefusedOrFailedActionIsNotTriedAgainForTheSameContent() {
    Memory refused = FRESH.refuse("config", "refused: quota exceeded: 64 vCPUs > 4");
    Decision.Plan p = plan(new DesiredSettings(DesiredSettings.State.RUNNING, 64, null, null),
        vm(DomainState.SHUTOFF), refused);
    // The config is left out; the start is still made.
    assertEquals(new Command.Start(), p.next().orElseThrow().command());
    assertEquals("config vcpus 64: refused: quota exceeded: 64 vCPUs > 4 (not tried again until "
        + "settings.json changes)", p.pending().get(0));

    Memory failed = FRESH.refuse("start", "failed: no space");
    Decision.Plan q = plan(RUNNING, vm(DomainState.SHUTOFF), failed);
    assertTrue(q.next().isEmpty());
    assertEquals(List.of("state running: start failed: no space (not tried again until "
        + "settings.json changes)"), q.pending());
  }

  @Test
  void aOneOffCommandWinsOverTheSettingItOverrode() {
    Memory stopped = FRESH.override("state", "stop");
    Decision.Plan p = plan(RUNNING, vm(DomainState.SHUTOFF), stopped);
    assertTrue(p.next().isEmpty());
    assertEquals(List.of("state running: overridden by the one-off 'stop' until settings.json "
        + "changes"), p.pending());
    // What it did not override is still applied.
    Decision.Plan q = plan(new DesiredSettings(DesiredSettings.State.RUNNING, 2, null, null),
        vm(DomainState.SHUTOFF), stopped);
    assertEquals(new Command.Config(2, null, null), q.next().orElseThrow().command());
  }

  @Test
  void aOneOffOverridesOnlyWhatItSetsOtherwiseThanTheFile() {
    DesiredSettings d = new DesiredSettings(DesiredSettings.State.RUNNING, 2, 1024, true);
    assertEquals(Set.of("state"), Decision.overrides(d, new Command.Stop(Duration.ofSeconds(5), false)));
    assertEquals(Set.of("state"), Decision.overrides(d, new Command.Destroy()));
    assertEquals(Set.of("state"), Decision.overrides(d, new Command.Suspend()));
    assertEquals(Set.of(), Decision.overrides(d, new Command.Start()));
    assertEquals(Set.of(), Decision.overrides(d, new Command.Reboot()));
    assertEquals(Set.of("state"), Decision.overrides(SHUTOFF, new Command.Start()));
    assertEquals(Set.of(), Decision.overrides(SHUTOFF, new Command.Stop(Duration.ofSeconds(5), false)));
    assertEquals(Set.of("vcpus"), Decision.overrides(d, new Command.Config(4, 1024, null)));
    assertEquals(Set.of("autostart"), Decision.overrides(d, new Command.Autostart(false)));
    assertEquals(Set.of(), Decision.overrides(d, new Command.Autostart(true)));
    assertEquals(Set.of(), Decision.overrides(RUNNING, new Command.Config(4, null, false)));
  }

  @Test
  void anUndefinedVmIsLeftAlone() {
    assertTrue(plan(RUNNING, vm(DomainState.UNDEFINED), FRESH).next().isEmpty());
  }
}
