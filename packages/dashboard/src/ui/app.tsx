import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { api, storedToken, storeToken, UNAUTHORIZED_EVENT } from "./api.js";
import { shown } from "./format.js";
import { DeadLettersPage } from "./pages/dead-letters.js";
import { JobPage } from "./pages/job.js";
import { LoginPage } from "./pages/login.js";
import { OverviewPage } from "./pages/overview.js";
import { QueuePage } from "./pages/queue.js";
import { SchedulesPage } from "./pages/schedules.js";
import { href, type Route, useRoute } from "./router.js";
import { type AppContext, SessionContext } from "./session.js";
import type { Session } from "./wire.js";

type SignIn =
  | { state: "checking" }
  | { state: "signed-out"; reason?: string }
  | { state: "signed-in"; session: Session };

/** The dashboard: the login until a token is accepted, then the page of the current hash route. */
export function App() {
  const [signIn, setSignIn] = useState<SignIn>(() =>
    storedToken() === null ? { state: "signed-out" } : { state: "checking" },
  );
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const route = useRoute();

  const signOut = useCallback((reason?: string) => {
    storeToken(null);
    setSignIn(reason === undefined ? { state: "signed-out" } : { state: "signed-out", reason });
  }, []);

  useEffect(() => {
    if (signIn.state !== "checking") return;
    api
      .session()
      .then((session) => setSignIn({ state: "signed-in", session }))
      .catch(() => signOut("Your token is no longer accepted; enter it again."));
  }, [signIn.state, signOut]);

  useEffect(() => {
    const expired = () => signOut("Your token is no longer accepted; enter it again.");
    window.addEventListener(UNAUTHORIZED_EVENT, expired);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, expired);
  }, [signOut]);

  // A message belongs to the page it was shown on: cleared on every route change.
  useEffect(() => setNotice(null), [route]);

  const context = useMemo<AppContext | null>(
    () =>
      signIn.state === "signed-in"
        ? {
            session: signIn.session,
            notify: (text, error = false) => setNotice(text === null ? null : { text, error }),
          }
        : null,
    [signIn],
  );

  if (signIn.state === "checking") return <p class="muted">Loading…</p>;
  if (signIn.state === "signed-out" || context === null) {
    return (
      <LoginPage
        reason={signIn.state === "signed-out" ? signIn.reason : undefined}
        onSignedIn={(token, session) => {
          storeToken(token);
          setSignIn({ state: "signed-in", session });
        }}
      />
    );
  }

  return (
    <SessionContext.Provider value={context}>
      <header class="topbar">
        <a class="brand" href="#/">
          @sched
        </a>
        <nav>
          <a
            href={href({ page: "overview" })}
            class={route.page === "overview" ? "active" : ""}
            data-testid="nav-overview"
          >
            Overview
          </a>
          <a
            href={href({ page: "schedules" })}
            class={route.page === "schedules" ? "active" : ""}
            data-testid="nav-schedules"
          >
            Schedules
          </a>
          <a
            href={href({ page: "dead", queue: null })}
            class={route.page === "dead" ? "active" : ""}
            data-testid="nav-dead"
          >
            Dead letters
          </a>
        </nav>
        <span class="session">
          <span class={`badge role-${context.session.role}`} data-testid="session-role">
            {context.session.role === "write" ? "read & write" : "read only"}
          </span>{" "}
          <span data-testid="session-name">{context.session.name}</span>{" "}
          <button type="button" class="button ghost" data-testid="logout" onClick={() => signOut()}>
            Sign out
          </button>
        </span>
      </header>
      {notice && (
        <div
          class={`notice ${notice.error ? "error" : "ok"}`}
          data-testid={notice.error ? "notice-error" : "notice"}
          role="status"
        >
          {shown(notice.text)}
          <button type="button" class="close" aria-label="Dismiss" onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      )}
      <main class="content">
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "overview":
      return <OverviewPage />;
    case "queue":
      return <QueuePage key={`${route.name}\u0000${route.status}`} name={route.name} status={route.status} />;
    case "job":
      return <JobPage key={route.id} id={route.id} />;
    case "schedules":
      return <SchedulesPage />;
    case "dead":
      return <DeadLettersPage key={route.queue ?? ""} queue={route.queue} />;
    case "not-found":
      return (
        <section data-testid="page-not-found">
          <h1>Not found</h1>
          <p>
            No page at <code data-testid="not-found-path">{shown(href(route))}</code>.{" "}
            <a href="#/">Overview</a>
          </p>
        </section>
      );
  }
}
