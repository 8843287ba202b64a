// chat.js — the chat-web client: one WebSocket to rill-gateway, one
// channel. It remembers the id of the last message it showed (per user and
// channel, in localStorage) and subscribes with "after" on every (re)connect,
// so messages sent while it was away arrive once, in order
// (docs/gateway.md, "Resume exactly once").
"use strict";
const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
const channel = params.get("channel") || "room:lobby";
const user = token.split(".")[0];
const lastKey = "rill-chat-last:" + user + ":" + channel;
const list = document.getElementById("messages");
let ws = null;
let refs = 0;

function setState(s) {
  document.body.dataset.state = s;
  document.getElementById("state").textContent = s;
}

function show(msg) {
  const li = document.createElement("li");
  li.dataset.id = msg.id;
  if (msg.from === user) li.className = "mine";
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = msg.from;
  li.append(from, document.createTextNode(msg.body && msg.body.text !== undefined ? msg.body.text : JSON.stringify(msg.body)));
  list.append(li);
  li.scrollIntoView();
  localStorage.setItem(lastKey, String(msg.id));
}

function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?token=" + encodeURIComponent(token);
  ws = new WebSocket(url);
  setState("connecting");
  ws.onmessage = (ev) => {
    const f = JSON.parse(ev.data);
    if (f.type === "welcome") {
      const sub = { type: "subscribe", channel: channel };
      const last = localStorage.getItem(lastKey);
      if (last !== null) sub.after = Number(last);
      ws.send(JSON.stringify(sub));
    } else if (f.type === "subscribed") {
      setState("live");
    } else if (f.type === "deliver" && f.channel === channel) {
      show(f);
    } else if (f.type === "error") {
      console.warn("gateway error", f.code, f.message);
    }
  };
  ws.onclose = (ev) => setState("closed " + ev.code);
}

function disconnect() {
  if (ws) ws.close(1000, "bye");
}

function send(text) {
  ws.send(JSON.stringify({ type: "publish", ref: String(++refs), channel: channel, body: { text: text } }));
}

document.getElementById("who").textContent = user;
document.getElementById("channel").textContent = channel;
document.getElementById("compose").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = document.getElementById("text");
  if (input.value && ws && ws.readyState === WebSocket.OPEN) send(input.value);
  input.value = "";
});
window.chat = { connect, disconnect, send };
connect();
