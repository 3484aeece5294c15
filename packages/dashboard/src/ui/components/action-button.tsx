import { useState } from "preact/hooks";
import { useApp } from "../session.js";

/** Props of {@link ActionButton}. */
export interface ActionButtonProps {
  testid: string;
  label: string;
  /** Runs the action; its resolved string, if any, is shown as the success message. */
  run: () => Promise<string | undefined>;
  /** Ask for a second click before running (for deletions). */
  confirm?: boolean;
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
    }
  };

  const className = `button${props.danger ? " danger" : ""}`;
  if (props.confirm && armed) {
    return (
      <span class="confirm">
        <button type="button" class="button danger" data-testid={`${props.testid}-confirm`} onClick={go}>
          Confirm {props.label.toLowerCase()}
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
      onClick={props.confirm ? () => setArmed(true) : go}
    >
      {busy ? "…" : props.label}
    </button>
  );
}
