// End-to-end tests of the web app against a real `weft serve`, driving Debian's Chromium
// through playwright-core. `tests/web_ui.rs` starts the server (with web/dist) and runs this
// with WEFT_URL and WEFT_ADMIN_PASSWORD; it can also be run by hand against any instance:
//
//   WEFT_URL=http://127.0.0.1:8080 WEFT_ADMIN_PASSWORD=… node e2e/run.mjs
//
// Each scenario is a user's path through the UI. Interaction latencies of a 200-node workflow
// are measured (not asserted) and written to e2e/out/perf.json; screenshots for the docs go
// to docs/screenshots/.
import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
const BASE = process.env.WEFT_URL ?? "http://127.0.0.1:8080";
const PASSWORD = process.env.WEFT_ADMIN_PASSWORD;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const OUT = join(here, "out");
const SHOTS = process.env.WEFT_SCREENSHOTS ?? join(here, "..", "..", "docs", "screenshots");
const HEADED = process.env.HEADED === "1";
/** Generous: the server is a debug build sharing two cores with the rest of the test suite. */
const T = 20_000;

assert.ok(PASSWORD, "WEFT_ADMIN_PASSWORD must be set");
mkdirSync(OUT, { recursive: true });
mkdirSync(SHOTS, { recursive: true });

// ---- a tiny runner: scenarios in order, the first failure stops the run --------------------

const results = [];
async function scenario(name, fn) {
  const started = performance.now();
  process.stdout.write(`e2e: ${name} … `);
  try {
    await fn();
    const ms = Math.round(performance.now() - started);
    results.push({ name, ok: true, ms });
    console.log(`ok (${ms} ms)`);
  } catch (e) {
    console.log("FAILED");
    const shot = join(OUT, `failure-${name.replace(/\W+/g, "-")}.png`);
    await page?.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(e);
    console.error(`screenshot: ${shot}`);
    results.push({ name, ok: false, error: String(e) });
    await finish(1);
  }
}

async function finish(code) {
  writeFileSync(join(OUT, "results.json"), JSON.stringify(results, null, 2));
  await browser?.close().catch(() => {});
  process.exit(code);
}

// ---- API access for setup and for checking what the UI stored ----------------------------

let token = null;
async function apiCall(method, path, body) {
  const res = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// ---- helpers over the app's DOM contract ---------------------------------------------------

const nodeSel = (id) => `[data-testid="node-${id}"]`;

async function canvasNodeIds() {
  return page.$$eval('[data-testid^="node-"]', (els) =>
    els.map((e) => e.getAttribute("data-testid").slice("node-".length)),
  );
}

/** Drags a palette entry onto the canvas at (x, y) relative to the pane; returns the new id. */
async function dropFromPalette(type, x, y) {
  const before = new Set(await canvasNodeIds());
  await page
    .locator(`[data-testid="palette-${type}"]`)
    .dragTo(page.locator(".react-flow__pane"), { targetPosition: { x, y } });
  let added = [];
  await waitFor(async () => {
    added = (await canvasNodeIds()).filter((id) => !before.has(id));
    return added.length === 1;
  }, `a ${type} node to appear after the drop`);
  return added[0];
}

/**
 * Connects two nodes by dragging from the source handle to the target handle. Live
 * validation can resize a node (its problem count appears or goes) just as the pointer goes
 * down, moving the handles; so a drag that made no edge is measured and tried again.
 */
async function connect(from, to, port = "main") {
  const source = page.locator(
    `.react-flow__handle.source[data-nodeid="${from}"][data-handleid="${port}"]`,
  );
  const target = page.locator(`.react-flow__handle.target[data-nodeid="${to}"]`);
  const edges = page.locator(".react-flow__edge");
  const before = await edges.count();
  for (let attempt = 1; ; attempt++) {
    const a = await source.boundingBox();
    const b = await target.boundingBox();
    assert.ok(a && b, `handles of ${from} → ${to} are visible`);
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
    try {
      await waitFor(async () => (await edges.count()) === before + 1, `an edge ${from} → ${to}`, 2_000);
      return;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

async function waitFor(check, what, timeout = T) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function selectNode(id) {
  await page.locator(nodeSel(id)).click();
}

// ---- the run -------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: !HEADED,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
let page = await context.newPage();
page.on("pageerror", (e) => console.error(`page error: ${e.message}`));

let workflowId;
let ids = {};
let executionId;

await scenario("log in", async () => {
  await page.goto(`${BASE}/workflows`);
  await page.waitForURL(/\/login/, { timeout: T });
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/workflows$/, { timeout: T });
  token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("weft.session")).state.tokens.accessToken);
  assert.ok(token, "the session holds an access token");
});

await scenario("create a workflow from the list", async () => {
  await page.getByRole("button", { name: /create workflow/i }).first().click();
  await page.getByLabel("Name", { exact: true }).fill("e2e greeting");
  await page.getByRole("button", { name: /^create$/i }).click();
  await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/, { timeout: T });
  workflowId = page.url().split("/").pop();
  await page.locator(nodeSel("start")).waitFor({ timeout: T });
});

await scenario("build a 4-node workflow by dragging from the palette", async () => {
  // Start from an empty canvas so every node comes from the palette.
  await selectNode("start");
  await page.keyboard.press("Delete");
  await waitFor(async () => (await canvasNodeIds()).length === 0, "the canvas to empty");
  // A 2 × 2 grid that fits beside the config panel on a laptop-sized window.
  ids.trigger = await dropFromPalette("trigger.manual", 30, 80);
  ids.transform = await dropFromPalette("data.transform", 480, 80);
  ids.log = await dropFromPalette("util.log", 30, 320);
  ids.set = await dropFromPalette("data.set", 480, 320);
  await connect(ids.trigger, ids.transform);
  await connect(ids.transform, ids.log);
  await connect(ids.log, ids.set);
  await waitFor(
    async () => (await page.locator(".react-flow__edge").count()) === 3,
    "three edges",
  );
});

await scenario("a validation error appears on the node at fault", async () => {
  await selectNode(ids.transform);
  const filter = page.getByLabel("jq filter");
  const invalid = (id) => page.locator(`${nodeSel(id)}[data-invalid="true"]`);
  await filter.fill(".prev");
  await waitFor(async () => (await invalid(ids.transform).count()) === 0, "a valid filter to clear the node");
  await filter.fill(".prev | ");
  await invalid(ids.transform).waitFor({ timeout: T });
  // The field at fault says so, and the other nodes are not blamed.
  await waitFor(
    async () => (await filter.getAttribute("aria-invalid")) === "true",
    "the jq filter field to be marked invalid",
  );
  assert.equal(await invalid(ids.trigger).count(), 0);
  assert.equal(await invalid(ids.set).count(), 0);
});

await scenario("configure nodes through their forms", async () => {
  await selectNode(ids.transform);
  await page.getByLabel("jq filter").fill('{greeting: ("hello " + (.input.name // "world"))}');
  await waitFor(
    async () => (await page.locator(`${nodeSel(ids.transform)}[data-invalid="true"]`).count()) === 0,
    "the transform node to be valid again",
  );
  await selectNode(ids.log);
  await page.getByLabel(/^Message/).fill("greeted {{ .prev.greeting }}");
  await page.getByLabel(/^Level/).selectOption("warn");
  await waitFor(
    async () => (await page.locator('[data-invalid="true"]').count()) === 0,
    "every node to be valid",
  );
  await page.getByRole("button", { name: "Auto layout" }).click();
  await page.getByRole("button", { name: "Fit view", exact: true }).first().click();
  await page.waitForTimeout(400); // the fit-view animation
  await page.screenshot({ path: join(SHOTS, "designer.png") });
});

let saved;
await scenario("save creates a version", async () => {
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await waitFor(async () => {
    const w = await apiCall("GET", `/workflows/${workflowId}`);
    saved = w;
    return w.version === 2;
  }, "version 2 to be stored");
  const def = saved.definition;
  assert.deepEqual(
    def.nodes.map((n) => n.type).sort(),
    ["data.set", "data.transform", "trigger.manual", "util.log"],
  );
  assert.equal(def.edges.length, 3);
  const log = def.nodes.find((n) => n.id === ids.log);
  assert.equal(log.config.message, "greeted {{ .prev.greeting }}");
  assert.equal(log.config.level, "warn");
});

await scenario("reload and find the workflow unchanged", async () => {
  await page.reload();
  await page.locator(nodeSel(ids.set)).waitFor({ timeout: T });
  assert.deepEqual((await canvasNodeIds()).sort(), Object.values(ids).sort());
  assert.equal(await page.locator(".react-flow__edge").count(), 3);
  await selectNode(ids.log);
  assert.equal(await page.getByLabel(/^Message/).inputValue(), "greeted {{ .prev.greeting }}");
  const now = await apiCall("GET", `/workflows/${workflowId}`);
  assert.equal(now.version, 2, "opening and reloading saves nothing");
});

await scenario("run and see every node turn green live", async () => {
  await page.getByRole("button", { name: "Run", exact: true }).click();
  const input = page.getByRole("dialog").getByRole("textbox").first();
  await input.fill('{"name": "Ada"}');
  await page.getByRole("dialog").getByRole("button", { name: /^(run|start)/i }).click();
  await page.waitForURL(/\/executions\/[0-9a-f-]{36}$/, { timeout: T });
  executionId = page.url().split("/").pop();
  for (const id of Object.values(ids)) {
    await page.locator(`${nodeSel(id)}[data-status="succeeded"]`).waitFor({ timeout: T });
  }
});

await scenario("open a node's output", async () => {
  await selectNode(ids.transform);
  const details = page.getByRole("heading", { name: `Node ${ids.transform}` });
  await details.waitFor({ timeout: T });
  await page.getByText('"hello Ada"').first().waitFor({ timeout: T });
  await page.screenshot({ path: join(SHOTS, "execution.png") });
  const e = await apiCall("GET", `/executions/${executionId}`);
  assert.equal(e.status, "succeeded");
});

await scenario("a waiting node turns green live when a signal is sent", async () => {
  const approval = await apiCall("POST", "/workflows", {
    name: "needs approval",
    nodes: [
      { id: "start", type: "trigger.manual" },
      { id: "approve", type: "flow.signal", config: { name: "approved", timeout_ms: 600000 } },
      { id: "done", type: "data.set", config: { fields: { shipped: true } } },
    ],
    edges: [
      { from: "start", to: "approve" },
      { from: "approve", to: "done" },
    ],
  });
  const started = await apiCall("POST", `/workflows/${approval.id}/executions`, { input: {} });
  await page.goto(`${BASE}/executions/${started.id}`);
  await page.locator(`${nodeSel("approve")}[data-status="waiting"]`).waitFor({ timeout: T });
  assert.equal(await page.locator(`${nodeSel("done")}[data-status="succeeded"]`).count(), 0);
  await page.getByRole("button", { name: "Send signal" }).click();
  const dialog = page.getByRole("dialog");
  assert.equal(await dialog.getByLabel("Signal name").inputValue(), "approved");
  await dialog.getByLabel("Payload (JSON)").fill('{"by": "e2e"}');
  await dialog.getByRole("button", { name: "Send", exact: true }).click();
  // No reload: the stream brings the rest.
  await page.locator(`${nodeSel("approve")}[data-status="succeeded"]`).waitFor({ timeout: T });
  await page.locator(`${nodeSel("done")}[data-status="succeeded"]`).waitFor({ timeout: T });
  await page.getByText("succeeded", { exact: true }).first().waitFor({ timeout: T });
});

await scenario("the dashboard shows the run", async () => {
  // Some history beside the run above, failures included, so the charts have something to say.
  const flaky = await apiCall("POST", "/workflows", {
    name: "sometimes fails",
    nodes: [
      { id: "start", type: "trigger.manual" },
      { id: "check", type: "flow.if", config: { condition: "{{ .input.n % 3 == 0 }}" } },
      { id: "boom", type: "flow.fail", config: { message: "{{ \"order \" + (.input.n|tostring) + \" rejected\" }}" } },
      { id: "ok", type: "data.set", config: { fields: { accepted: true } } },
    ],
    edges: [
      { from: "start", to: "check" },
      { from: "check", port: "true", to: "boom" },
      { from: "check", port: "false", to: "ok" },
    ],
  });
  for (let n = 1; n <= 12; n++) {
    await apiCall("POST", `/workflows/${flaky.id}/executions`, { input: { n } });
  }
  await page.goto(`${BASE}/`);
  await page.getByText(/succeeded/i).first().waitFor({ timeout: T });
  await page.locator(".recharts-surface").first().waitFor({ timeout: T });
  await page.waitForTimeout(600); // let chart animations settle for the screenshot
  await page.screenshot({ path: join(SHOTS, "dashboard.png") });
});

// ---- 200 nodes: load, pan and drag latency (measured, not asserted) ------------------------

const perf = {};
await scenario("a 200-node workflow loads, pans and drags", async () => {
  const nodes = [{ id: "start", type: "trigger.manual", position: { x: 0, y: 0 } }];
  const edges = [];
  for (let i = 1; i < 200; i++) {
    nodes.push({
      id: `step_${i}`,
      type: i % 3 === 0 ? "data.transform" : "data.set",
      config: i % 3 === 0 ? { filter: ".prev" } : { fields: { [`f${i}`]: i } },
      position: { x: (i % 20) * 260, y: Math.floor(i / 20) * 140 },
    });
    edges.push({ from: i === 1 ? "start" : `step_${i - 1}`, to: `step_${i}` });
  }
  const big = await apiCall("POST", "/workflows", { name: "two hundred", nodes, edges });

  const t0 = performance.now();
  await page.goto(`${BASE}/workflows/${big.id}`);
  await page.locator(nodeSel("step_199")).waitFor({ state: "attached", timeout: T * 3 });
  perf.load_ms = Math.round(performance.now() - t0);
  await page.waitForTimeout(300);

  // Frame times while panning: requestAnimationFrame deltas during a 30-step drag of the pane.
  const pane = await page.locator(".react-flow__pane").boundingBox();
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (window.__recording) requestAnimationFrame(tick);
    };
    window.__recording = true;
    requestAnimationFrame(tick);
  });
  const cx = pane.x + pane.width / 2;
  const cy = pane.y + pane.height / 2;
  const panStart = performance.now();
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 1; i <= 30; i++) await page.mouse.move(cx - i * 12, cy - i * 6);
  await page.mouse.up();
  const panMs = performance.now() - panStart;
  const frames = await page.evaluate(() => {
    window.__recording = false;
    return window.__frames.slice(1);
  });
  frames.sort((a, b) => a - b);
  perf.pan = {
    steps: 30,
    total_ms: Math.round(panMs),
    per_step_ms: +(panMs / 30).toFixed(1),
    frame_p50_ms: +frames[Math.floor(frames.length * 0.5)].toFixed(1),
    frame_p95_ms: +frames[Math.floor(frames.length * 0.95)].toFixed(1),
    frame_max_ms: +frames[frames.length - 1].toFixed(1),
  };

  // Drag latency, as the app sees it: mouse events dispatched in the page (no automation
  // round trip), from each move to the next frame painted with the node at its new place.
  perf.drag = await page.evaluate(async () => {
    const el = document.querySelector('[data-testid="node-step_45"]').closest(".react-flow__node");
    const r = el.getBoundingClientRect();
    const x = r.x + r.width / 2;
    const y = r.y + r.height / 2;
    const at = (cx, cy) => ({ bubbles: true, cancelable: true, view: window, clientX: cx, clientY: cy, button: 0, buttons: 1 });
    el.dispatchEvent(new MouseEvent("mousedown", at(x, y)));
    const latencies = [];
    for (let i = 1; i <= 40; i++) {
      const before = el.style.transform;
      const t = performance.now();
      window.dispatchEvent(new MouseEvent("mousemove", at(x + i * 6, y + i * 2)));
      await new Promise((resolve) => {
        const check = () =>
          el.style.transform !== before ? requestAnimationFrame(() => resolve()) : requestAnimationFrame(check);
        check();
      });
      latencies.push(performance.now() - t);
    }
    window.dispatchEvent(new MouseEvent("mouseup", at(x + 240, y + 80)));
    latencies.sort((a, b) => a - b);
    const q = (p) => +latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(1);
    return { moves: latencies.length, p50_ms: q(0.5), p95_ms: q(0.95), max_ms: q(1) };
  });
  writeFileSync(join(OUT, "perf.json"), JSON.stringify(perf, null, 2));
  console.log(`\ne2e perf (200 nodes): ${JSON.stringify(perf)}`);
});

await finish(0);
