// test-chat-web.js — chat-web in two headless Chromium pages (Debian's
// chromium, driven over the DevTools protocol with node's own WebSocket):
// alice and bob exchange messages by typing into the page; bob's page goes
// away, alice writes on, bob comes back and gets exactly what he missed,
// in order; a screenshot of bob's page is saved in OUT_DIR.
//
//   node --experimental-websocket test-chat-web.js RILL_GATEWAY EXAMPLE_DIR OUT_DIR
"use strict";
const { spawn, execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const [gatewayBin, exampleDir, outDir] = process.argv.slice(2);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rill-chat-web-"));
const children = [];

// Stops the gateway and chromium, waits until they are gone, then removes
// the scratch directory. Chromium runs in a process group of its own
// (detached) and the whole group is killed: its helper processes outlive the
// browser process and keep writing the profile for a moment, which once made
// the removal fail with ENOTEMPTY after a passing run.
async function cleanup() {
  await Promise.all(children.map((c) => new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once("exit", resolve);
    try {
      process.kill(c.spawnargs[0] === "chromium" ? -c.pid : c.pid, "SIGKILL");
    } catch (e) {
      c.kill("SIGKILL");
    }
  })));
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
async function fail(msg) {
  console.error("FAIL: " + msg);
  await cleanup();
  process.exit(1);
}
setTimeout(() => fail("timed out"), 50000).unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves with the first match of @re in the process's output (or a file).
function waitFor(getText, re, what) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      const m = getText().match(re);
      if (m) return resolve(m);
      if (Date.now() - t0 > 20000) return reject(new Error("no " + what));
      setTimeout(poll, 50);
    };
    poll();
  });
}

class Cdp {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.next = 1;
    this.pending = new Map();
    this.ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.id && this.pending.has(m.id)) {
        const { resolve, reject } = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) reject(new Error(JSON.stringify(m.error)));
        else resolve(m.result);
      }
    };
  }
  open() { return new Promise((res, rej) => { this.ws.onopen = res; this.ws.onerror = rej; }); }
  send(method, params = {}, sessionId) {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
}

class Page {
  constructor(cdp, sessionId) { this.cdp = cdp; this.sid = sessionId; }
  async eval(expr) {
    const r = await this.cdp.send("Runtime.evaluate", { expression: expr, awaitPromise: true, returnByValue: true }, this.sid);
    if (r.exceptionDetails) throw new Error(expr + ": " + JSON.stringify(r.exceptionDetails));
    return r.result.value;
  }
  async until(expr, what) {
    const t0 = Date.now();
    while (Date.now() - t0 < 20000) {
      try { if (await this.eval(expr)) return; } catch (e) { /* page still loading */ }
      await sleep(50);
    }
    throw new Error("page never got " + what + " (" + expr + ")");
  }
  // Types @text into the compose box and presses Send, as a person would.
  async type(text) {
    await this.eval(`(() => { const i = document.getElementById("text"); i.value = ${JSON.stringify(text)};
      document.querySelector("#compose button").click(); })()`);
  }
  texts() {
    return this.eval(`[...document.querySelectorAll("#messages li")].map(li => li.textContent)`);
  }
  ids() {
    return this.eval(`[...document.querySelectorAll("#messages li")].map(li => Number(li.dataset.id))`);
  }
}

async function main() {
  const secret = path.join(tmp, "secret");
  fs.writeFileSync(secret, "chat-web-secret\n");
  const conf = path.join(tmp, "gateway.conf");
  fs.writeFileSync(conf, "[channel room:*]\nread=*\nwrite=*\n");
  let gwOut = "";
  const gw = spawn(gatewayBin, ["--data-dir", path.join(tmp, "data"), "--secret-file", secret, "--config", conf,
    "--static", exampleDir, "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(gw);
  gw.stdout.on("data", (d) => { gwOut += d; });
  const port = Number((await waitFor(() => gwOut, /port=(\d+)/, "listening line"))[1]);
  const token = (u) => execFileSync(gatewayBin, ["token", "--secret-file", secret, "--user", u]).toString().trim();

  const profile = path.join(tmp, "chromium");
  const chrome = spawn("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--remote-debugging-port=0", "--user-data-dir=" + profile, "--window-size=640,480", "about:blank"],
    { stdio: "ignore", detached: true });
  children.push(chrome);
  const portFile = path.join(profile, "DevToolsActivePort");
  const active = await waitFor(() => (fs.existsSync(portFile) ? fs.readFileSync(portFile, "utf8") : ""),
    /^(\d+)\n(\S+)/, "DevToolsActivePort");
  const cdp = new Cdp(`ws://127.0.0.1:${active[1]}${active[2]}`);
  await cdp.open();

  // Each user gets a separate browser context: separate localStorage, as two people's browsers.
  async function openPage(user) {
    const { browserContextId } = await cdp.send("Target.createBrowserContext");
    const url = `http://127.0.0.1:${port}/?token=${encodeURIComponent(token(user))}&channel=room:lobby`;
    const { targetId } = await cdp.send("Target.createTarget", { url, browserContextId });
    const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
    const p = new Page(cdp, sessionId);
    await p.until(`document.body && document.body.dataset.state === "live"`, user + " live");
    return p;
  }
  const alice = await openPage("alice");
  const bob = await openPage("bob");

  await alice.type("hello bob");
  await bob.until(`document.querySelectorAll("#messages li").length === 1`, "alice's message");
  await bob.type("hi alice");
  await alice.until(`document.querySelectorAll("#messages li").length === 2`, "bob's answer");

  // bob goes away; alice writes on; bob comes back
  await bob.eval(`chat.disconnect()`);
  await bob.until(`document.body.dataset.state.startsWith("closed")`, "closed");
  for (const t of ["are you there?", "I'll wait", "ping"]) await alice.type(t);
  await alice.until(`document.querySelectorAll("#messages li").length === 5`, "alice's own three");
  await bob.eval(`chat.connect()`);
  await bob.until(`document.body.dataset.state === "live"`, "live again");
  await bob.until(`document.querySelectorAll("#messages li").length >= 5`, "the missed messages");
  await alice.type("welcome back");
  await bob.until(`document.querySelectorAll("#messages li").length >= 6`, "a live message after resuming");
  await sleep(200); // a duplicate, if any, would arrive by now

  const want = ["alicehello bob", "bobhi alice", "aliceare you there?", "aliceI'll wait", "aliceping",
    "alicewelcome back"];
  const got = await bob.texts();
  if (JSON.stringify(got) !== JSON.stringify(want)) fail("bob's page shows " + JSON.stringify(got));
  if (JSON.stringify(await alice.texts()) !== JSON.stringify(want)) fail("alice's page shows " + JSON.stringify(await alice.texts()));
  const ids = await bob.ids();
  for (let i = 1; i < ids.length; i++) if (!(ids[i] > ids[i - 1])) fail("ids not increasing: " + ids);

  const shot = await cdp.send("Page.captureScreenshot", { format: "png" }, bob.sid);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, "chat-web.png");
  fs.writeFileSync(file, Buffer.from(shot.data, "base64"));
  console.log("ok: two pages chatted, bob resumed exactly once; screenshot " + file);
  await cleanup();
  process.exit(0);
}

main().catch((e) => fail(e.stack || String(e)));
