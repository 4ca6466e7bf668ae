/**
 * The idle timers of a lean call run (see FEWER_ACTIONS in call-workflow.ts). A call finishes once
 * it has been idle for a period; the run keeps that deadline itself and arms a timer only when
 * none is pending that fires by it: an event that comes meanwhile moves the deadline but starts
 * no timer, and cancels none. A timer that fires before the moved deadline is followed by one for
 * the rest; one that a shorter period (a terminal event) makes too late is left to fire unheeded.
 */
import { CancellationScope, sleep } from '@temporalio/workflow';

export class IdleTimer {
  /** When each timer armed and not fired yet fires (workflow time, epoch ms). */
  private readonly pending = new Set<number>();
  /** A timer fired since the main loop last cleared this. */
  fired = false;

  /** Whether a timer is pending that fires at `deadline` or before. */
  pendingBy(deadline: number): boolean {
    for (const at of this.pending) if (at <= deadline) return true;
    return false;
  }

  /** Starts a timer that fires at `at`: never cancelled (not even with the workflow), so it costs no cancel command. */
  arm(at: number): void {
    this.pending.add(at);
    void CancellationScope.nonCancellable(() => sleep(Math.max(at - Date.now(), 1))).then(() => {
      this.pending.delete(at);
      this.fired = true;
    });
  }
}
