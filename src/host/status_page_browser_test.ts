// Copyright 2026 the @ca/streams authors. MIT license.
// The status page (issue 14, items 6 and 7) in a real browser: headless
// Chromium (Debian's /usr/bin/chromium, which .ci/run installs) driven by
// playwright-core, against a ConnectorHost served on 127.0.0.1 (Deno.serve
// on Deno, node:http through the node-server connector on Node). A user's
// path: sign in with a token, see the connectors, stop one with its button,
// and, as a viewer, see the API's refusal. Waits are Playwright's
// auto-waiting with a generous timeout, never assertions on time.
import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import { test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { serveNode } from "../../connectors/node_server/serve_node.ts";
import { memoryDefinitionStore } from "../definition_store/memory_definition_store.ts";
import { ConnectorHost } from "./connector_host.ts";
import type {
  ConnectorProgress,
  ConnectorRunner,
  RunningConnector,
} from "./connector_runner.ts";

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "admin-token-for-the-browser-test";
const VIEWER = "viewer-token-for-the-browser-test";
/** How long a wait for the page may take before the test fails. */
const WAIT_MS = 30_000;

/** A runner whose connectors read about 100 records/s until stopped. */
function fakeRunner() {
  const started: string[] = [];
  const stopped: string[] = [];
  const resets: { id: string; position: unknown }[] = [];
  const runner: ConnectorRunner = {
    check: () => Promise.resolve([]),
    start(id): RunningConnector {
      started.push(id);
      const since = Date.now();
      let end!: () => void;
      const ended = new Promise<undefined>((resolve) =>
        end = () => resolve(undefined)
      );
      const stop = () => {
        stopped.push(id);
        end();
        return ended.then(() => {});
      };
      return {
        started: Promise.resolve(),
        ended,
        stop,
        abort: stop,
        progress(): ConnectorProgress {
          const read = Math.floor((Date.now() - since) / 10);
          return {
            recordsRead: read,
            recordsWritten: Math.max(0, read - 7),
            recordsDeadLettered: 0,
            position: { offset: Math.max(0, read - 7) },
            uncommittedRecords: 7,
          };
        },
      };
    },
    reset(id, _config, position) {
      resets.push({ id, position });
      return Promise.resolve();
    },
  };
  return { runner, started, stopped, resets };
}

/** Serves `handler` on 127.0.0.1 with the runtime's own server. */
async function serve(
  handler: (request: Request) => Promise<Response>,
): Promise<{ url: string; close(): Promise<void> }> {
  if ("Deno" in globalThis) {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      handler,
    );
    const { port } = server.addr as Deno.NetAddr;
    return {
      url: `http://127.0.0.1:${port}/`,
      close: () => server.shutdown(),
    };
  }
  const server = await serveNode(handler);
  return { url: server.url.href, close: () => server.close() };
}

async function launch(): Promise<Browser> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(
      `Cannot run the status page's browser test: ${CHROMIUM} is missing; install it: apt-get install -y chromium`,
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
    ],
  });
}

/** Waits until the page shows connector `id` in `state`. */
async function waitForState(
  page: Page,
  id: string,
  state: string,
): Promise<void> {
  const cell = page.locator(`tr[data-connector="${id}"] .state`);
  try {
    await cell.filter({ hasText: new RegExp(`^${state}$`) }).waitFor({
      timeout: WAIT_MS,
    });
  } catch (error) {
    const shown = await cell.textContent({ timeout: 1_000 }).catch(() =>
      "(no row)"
    );
    throw new Error(
      `the page did not show ${id} as ${state}; it shows ${shown}`,
      { cause: error },
    );
  }
}

/**
 * Whether connector `id`'s Stop button is in view as the page is now,
 * without scrolling: inside the window and the table's box, and on top at
 * its middle (not covered by a neighbouring cell or clipped away).
 */
async function stopInView(page: Page, id: string): Promise<string> {
  // A string, as the other page.evaluate calls: no DOM types in the test.
  return await page.evaluate(`(() => {
    const button = document.querySelector(
      'tr[data-connector=' + ${
    JSON.stringify(JSON.stringify(id))
  } + '] button[data-action="stop"]');
    const box = document.querySelector(".scroll");
    if (!button || !box) return "no Stop button";
    const b = button.getBoundingClientRect();
    const c = box.getBoundingClientRect();
    const inside = b.left >= c.left && b.right <= c.right && b.left >= 0 &&
      b.right <= innerWidth;
    const top = document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2);
    return inside && top === button ? "in view" : "out of view: the button spans " +
      Math.round(b.left) + "-" + Math.round(b.right) + " px, the table's box " +
      Math.round(c.left) + "-" + Math.round(c.right) + " px";
  })()`) as string;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Connect" }).click();
}

test("the status page lists the connectors live, stops one with its button, and shows a viewer the API's 403 message", async () => {
  const fake = fakeRunner();
  const host = new ConnectorHost({
    definitions: memoryDefinitionStore(),
    runner: fake.runner,
    tokens: { admin: [ADMIN], viewer: [VIEWER] },
  });
  await host.start();
  // Until the host routes `GET /` itself, the test does.
  const server = await serve((request) => host.fetch(request));
  const api = async (
    path: string,
    token: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(new URL(path, server.url), {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
      },
    });
    return { status: response.status, body: await response.json() };
  };
  let browser: Browser | undefined;
  try {
    const created = await api("connectors", ADMIN, {
      method: "POST",
      body: JSON.stringify({
        id: "orders",
        config: { processors: [{ use: "generate" }] },
        start: true,
      }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, "running");
    const audit = await api("connectors", ADMIN, {
      method: "POST",
      body: JSON.stringify({
        id: "audit",
        config: { processors: [{ use: "generate" }] },
      }),
    });
    assert.equal(audit.status, 201, JSON.stringify(audit.body));

    browser = await launch();
    const context = await browser.newContext();
    const page = await context.newPage();
    const elsewhere: string[] = [];
    const unauthenticated: string[] = [];
    const violations: string[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.origin !== new URL(server.url).origin) {
        elsewhere.push(request.url());
      } else if (
        url.pathname.startsWith("/connectors") &&
        !/^Bearer \S+$/.test(request.headers()["authorization"] ?? "")
      ) unauthenticated.push(request.url());
    });
    page.on("console", (message) => {
      if (/Content.Security.Policy/i.test(message.text())) {
        violations.push(message.text());
      }
    });

    const response = await page.goto(server.url);
    assert.equal(response?.status(), 200);
    const policy = response?.headers()["content-security-policy"] ?? "";
    assert.match(policy, /default-src 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline/);

    // A wrong token: the page says so, with the API's message, and asks again.
    const rejected = await api("connectors", "not-a-token");
    assert.equal(rejected.status, 401);
    await signIn(page, "not-a-token");
    await page.getByRole("alert").filter({
      hasText: `The token was not accepted: ${
        (rejected.body.error as { message: string }).message
      }`,
    }).waitFor({ timeout: WAIT_MS });
    await page.getByLabel("Token").waitFor({ timeout: WAIT_MS });

    // The admin sees both connectors, with position and uncommitted records.
    await signIn(page, ADMIN);
    await waitForState(page, "orders", "running");
    await waitForState(page, "audit", "stopped");
    const orders = page.locator('tr[data-connector="orders"]');
    await orders.locator("td.position", { hasText: '"offset"' }).waitFor({
      timeout: WAIT_MS,
    });
    assert.equal(await orders.locator("td.uncommitted").textContent(), "7");
    assert.deepEqual(
      await page.locator("tbody tr th").allTextContents(),
      ["audit", "orders"],
    );
    // The throughput history grows with the polls.
    await orders.getByRole("img", {
      name:
        /^Records per second over the last 5 minutes: .*, ([2-9]|\d\d+) samples$/,
    }).waitFor({ timeout: WAIT_MS });
    // In a 1100 x 700 window the table fits: every Stop button is in view
    // with no scrolling; in a narrower one the table scrolls in its box and
    // the actions stay in view.
    for (const width of [1100, 760]) {
      await page.setViewportSize({ width, height: 700 });
      for (const id of ["audit", "orders"]) {
        assert.equal(
          await stopInView(page, id),
          "in view",
          `${id} at ${width}`,
        );
      }
    }
    assert.equal(
      await page.evaluate(
        "document.querySelector('.scroll').scrollWidth <= document.querySelector('.scroll').clientWidth",
      ),
      false,
      "at 760 px the table scrolls in its box",
    );
    await page.setViewportSize({ width: 1100, height: 700 });
    assert.equal(
      await page.evaluate(
        "document.querySelector('.scroll').scrollWidth <= document.querySelector('.scroll').clientWidth",
      ),
      true,
      "at 1100 px the table fits",
    );
    // The token is in no storage, no cookie, and not left in the input.
    assert.deepEqual(
      await page.evaluate(
        "({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie })",
      ),
      { local: 0, session: 0, cookie: "" },
    );
    assert.deepEqual(await context.cookies(), []);
    assert.equal(await page.locator("#token").inputValue(), "");

    // Stop with the button: the page and the API agree.
    await page.getByRole("button", { name: "Stop orders", exact: true })
      .click();
    await waitForState(page, "orders", "stopped");
    const afterStop = await api("connectors/orders", ADMIN);
    assert.equal(afterStop.body.state, "stopped");
    assert.equal(afterStop.body.enabled, false);
    assert.deepEqual(fake.stopped, ["orders"]);

    // Reset, now that it is stopped: to the start.
    await page.getByRole("button", { name: "Reset orders", exact: true })
      .click();
    await page.getByRole("status").filter({ hasText: "Reset orders: done" })
      .waitFor({ timeout: WAIT_MS });
    assert.deepEqual(fake.resets, [{ id: "orders", position: undefined }]);

    // Started again through the API, the page follows.
    assert.equal(
      (await api("connectors/orders/start", ADMIN, { method: "POST" })).status,
      200,
    );
    await waitForState(page, "orders", "running");

    // A viewer sees it running; its Stop is refused with the API's message.
    const refusal = await api("connectors/orders/stop", VIEWER, {
      method: "POST",
    });
    assert.equal(refusal.status, 403);
    const message = (refusal.body.error as { message: string }).message;
    const viewerPage = await (await browser.newContext()).newPage();
    await viewerPage.goto(server.url);
    await signIn(viewerPage, VIEWER);
    await waitForState(viewerPage, "orders", "running");
    await viewerPage.getByRole("button", { name: "Stop orders", exact: true })
      .click();
    await viewerPage.getByRole("alert").filter({
      hasText: `Cannot stop orders: ${message}`,
    }).waitFor({ timeout: WAIT_MS });
    assert.equal((await api("connectors/orders", ADMIN)).body.state, "running");
    assert.deepEqual(fake.stopped, ["orders"]);

    // Forgetting the token hides the connectors and asks again.
    await page.getByRole("button", { name: "Forget token" }).click();
    await page.getByLabel("Token").waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator("tbody tr").count(), 0);

    assert.deepEqual(elsewhere, [], "the page loads nothing from elsewhere");
    assert.deepEqual(unauthenticated, [], "every API request has the token");
    assert.deepEqual(violations, [], "no Content-Security-Policy violation");
  } finally {
    await browser?.close();
    await server.close();
    await host.stop();
  }
});
