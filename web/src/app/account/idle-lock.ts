// Locks the page after a stretch without activity. The timeout is a per-device setting (localStorage), default
// 15 minutes. Timers in background tabs are throttled and may fire late, so the elapsed time is also checked when
// the page becomes visible again: a tab left hidden past the timeout locks before it shows anything.

export const defaultIdleMinutes = 15;
export const minIdleMinutes = 1;
export const maxIdleMinutes = 24 * 60;
const storageKey = "polydev.idleMinutes";

/**
 * The stored timeout in minutes. The settings page accepts whole minutes from 1 to 1440; a fraction stored directly
 * (down to 0.05, three seconds) is honoured too, so browser tests need not wait a minute.
 */
export function loadIdleMinutes(storage: Storage = localStorage): number {
  const value = Number(storage.getItem(storageKey));
  return Number.isFinite(value) && value >= 0.05 && value <= maxIdleMinutes ? value : defaultIdleMinutes;
}

export function saveIdleMinutes(minutes: number, storage: Storage = localStorage): void {
  if (!Number.isFinite(minutes) || minutes < minIdleMinutes || minutes > maxIdleMinutes) {
    throw new RangeError(`The idle timeout is between ${minIdleMinutes} and ${maxIdleMinutes} minutes.`);
  }
  storage.setItem(storageKey, String(minutes));
}

const activityEvents = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "focusin"] as const;

export class IdleLock {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastActivity = 0;
  private running = false;

  /** @param timeoutMs returns the current timeout, read at every reset so a changed setting applies at once. */
  constructor(
    private readonly timeoutMs: () => number,
    private readonly onIdle: () => void,
    private readonly target: Window = window,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const type of activityEvents) this.target.addEventListener(type, this.onActivity, { passive: true, capture: true });
    this.target.document.addEventListener("visibilitychange", this.onVisibility);
    this.touch();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const type of activityEvents) this.target.removeEventListener(type, this.onActivity, { capture: true });
    this.target.document.removeEventListener("visibilitychange", this.onVisibility);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Counts as activity; also re-arms the timer after the timeout setting changed. */
  touch(): void {
    if (!this.running) return;
    this.lastActivity = this.now();
    this.arm(this.timeoutMs());
  }

  private arm(delayMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    // Checked at least once a minute, so a timeout changed in another tab applies here within a minute.
    this.timer = setTimeout(this.check, Math.min(Math.max(0, delayMs), 60_000));
  }

  private readonly check = (): void => {
    if (!this.running) return;
    const left = this.lastActivity + this.timeoutMs() - this.now();
    if (left > 0) {
      this.arm(left);
      return;
    }
    this.stop();
    this.onIdle();
  };

  // pointermove fires constantly; resetting the timestamp is cheap, re-arming the timer is left to check().
  private readonly onActivity = (): void => {
    this.lastActivity = this.now();
  };

  private readonly onVisibility = (): void => {
    if (this.target.document.visibilityState !== "visible") return;
    if (this.now() - this.lastActivity >= this.timeoutMs()) {
      this.check();
      return;
    }
    this.touch();
  };
}
