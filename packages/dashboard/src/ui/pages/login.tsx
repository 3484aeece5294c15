import { useState } from "preact/hooks";
import { ApiError, api } from "../api.js";
import type { Session } from "../wire.js";

/** Asks for a token and checks it with `GET /api/session` before keeping it. */
export function LoginPage({
  onSignedIn,
  reason,
}: {
  onSignedIn: (token: string, session: Session) => void;
  reason?: string;
}) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (value === "") {
      setError("Enter a token.");
      return;
    }
    setBusy(true);
    try {
      const session = await api.session(value);
      onSignedIn(value, session);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 401
          ? "This token is not accepted."
          : caught instanceof Error
            ? caught.message
            : String(caught),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" data-testid="login-form" onSubmit={submit}>
        <h1>@sched dashboard</h1>
        <p class="muted">Enter an API token. It is kept in this tab only.</p>
        <input
          type="password"
          autocomplete="off"
          placeholder="token"
          data-testid="login-token"
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
        />
        <button type="submit" class="button" data-testid="login-submit" disabled={busy}>
          Sign in
        </button>
        {error !== undefined && (
          <p class="load-error" data-testid="login-error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
