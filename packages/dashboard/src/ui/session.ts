import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Session } from "./wire.js";

/** The signed-in session, and how pages report the outcome of an action. */
export interface AppContext {
  session: Session;
  /** Shows a message in the page's banner (`error: true` for a failure); `null` clears it. */
  notify: (text: string | null, error?: boolean) => void;
}

export const SessionContext = createContext<AppContext | null>(null);

/** The app context; only pages rendered behind the login use it. */
export function useApp(): AppContext {
  const context = useContext(SessionContext);
  if (context === null) throw new Error("useApp outside the signed-in app");
  return context;
}

/** Whether the session may act (a `write` token). Read-only sessions render no write controls. */
export function useCanWrite(): boolean {
  return useApp().session.role === "write";
}
