import { useState } from "preact/hooks";
import { useApp } from "../session.js";

/** Props of {@link ActionButton}. */
export interface ActionButtonProps {
  testid: string;
  label: string;
  /** Runs the action; its resolved string, if any, is shown as the success message. */
  run: () => Promise<string | undefined>;
  /** Ask for a second click before running (for deletions and bulk actions). */
  confirm?: boolean;
  /** The second click's label, `Confirm <label>` by default (a bulk action names its count). */
  confirmLabel?: string;
  /** Called when a first click arms the confirmation (to load the count it names afresh). */
  onArm?: () => void;
  /**
   * Runs after the action, whether it succeeded or failed (a reload: an action refused because
   * another operator changed the job meanwhile must not leave the stale row shown).
   */
  after?: () => Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}

/**
 * A button that runs an API action once at a time and reports the outcome in the banner. With
 * `confirm`, the first click arms it (`<testid>-confirm` appears) and the second runs it.
 */
export function ActionButton(props: ActionButtonProps) {
  const { notify } = useApp();
  const [busy, setBusy] = useState(false);
  const [armed, setArmed] = useState(false);

  const go = async () => {
    setArmed(false);
    setBusy(true);
    // The banner shows the outcome of this action only.
    notify(null);
    try {
      const message = await props.run();
      if (message !== undefined) notify(message);
    } catch (error) {
      notify(error instanceof Error ? error.message : String(error), true);
    } finally {
      setBusy(false);
      await props.after?.().catch(() => {});
    }
  };

  const arm = () => {
    setArmed(true);
    props.onArm?.();
  };

  const className = `button${props.danger ? " danger" : ""}`;
  if (props.confirm && armed) {
    return (
      <span class="confirm">
        <button type="button" class="button danger" data-testid={`${props.testid}-confirm`} onClick={go}>
          {props.confirmLabel ?? `Confirm ${props.label.toLowerCase()}`}
        </button>
        <button type="button" class="button ghost" onClick={() => setArmed(false)}>
          Keep
        </button>
      </span>
    );
  }
  return (
    <button
      type="button"
      class={className}
      data-testid={props.testid}
      disabled={busy || props.disabled}
      onClick={props.confirm ? arm : go}
    >
      {busy ? "…" : props.label}
    </button>
  );
}
