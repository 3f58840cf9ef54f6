// The chat page of `pem-bot try` (bot/runtime/simulator/web.py serves it; no build step).
// It long-polls /sim/state and draws the chosen person's chat; taps, texts, photos and the clock go to /sim/*.
"use strict";

const ROLES = {
  borrower: "Peminjam · Borrower", treasurer: "Bendahara LPM · Treasurer", lurah: "Lurah",
  coordinator: "Koordinator Karang Taruna · Coordinator", admin: "Admin", city: "Bappeda (kota · city)",
};
const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];

let state = null;
let version = -1;
let active = localStorage.getItem("pem-try-person") || null;
const seen = new Set();   // notice ids already shown as a toast or an alert
const readUpTo = {};      // user id -> number of items seen in that chat
let firstLoad = true;
const drawn = new Map();  // "user:item id" -> {signature, nodes}

const $ = (id) => document.getElementById(id);

async function post(path, body) {
  const options = body instanceof FormData ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { /* not JSON */ }
  return { ok: response.ok, data };
}

function persona() {
  return state && state.personas.find((p) => p.key === active);
}

function initials(name) {
  return name.split(/\s+/).filter((w) => !w.endsWith(".")).slice(0, 2).map((w) => w[0]).join("").toUpperCase();
}

function time(seconds) {
  const d = new Date(seconds * 1000);
  return d.toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Makassar" });
}

const personButtons = new Map();  // key -> button, kept across redraws (a click never lands on a replaced node)

function drawPeople() {
  const nav = $("people");
  state.personas.forEach((p, i) => {
    let button = personButtons.get(p.key);
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.dataset.persona = p.key;
      const avatar = document.createElement("div");
      avatar.className = "avatar";
      avatar.style.background = COLORS[i % COLORS.length];
      avatar.textContent = initials(p.name);
      const who = document.createElement("div");
      who.className = "who";
      who.innerHTML = `<div class="pname"></div><div class="prole"></div>`;
      who.firstChild.textContent = p.name;
      who.lastChild.textContent = ROLES[p.role] || p.role;
      const badge = document.createElement("span");
      badge.className = "badge";
      button.append(avatar, who, badge);
      button.addEventListener("click", () => { active = p.key; localStorage.setItem("pem-try-person", p.key); $("menu").hidden = true; draw(true); });
      personButtons.set(p.key, button);
      nav.append(button);
    }
    button.className = "person" + (p.key === active ? " active" : "");
    const items = state.chats[p.user_id] || [];
    const unread = items.length - (readUpTo[p.user_id] ?? items.length);
    const badge = button.querySelector(".badge");
    badge.textContent = unread;
    badge.hidden = p.key === active || unread <= 0;
  });
}

function drawMessage(item, userId) {
  const box = document.createElement("div");
  box.className = "msg " + item.from;
  box.dataset.messageId = item.id;
  if (item.photo) {
    const img = document.createElement("img");
    img.src = item.photo;
    img.alt = "foto · photo";
    img.addEventListener("click", () => window.open(item.photo, "_blank"));
    img.addEventListener("load", () => { const list = $("messages"); if (list.dataset.stick === "1") list.scrollTop = list.scrollHeight; });
    box.append(img);
  }
  if (item.document) {
    const link = document.createElement("a");
    link.className = "doc";
    link.href = item.document.url;
    link.download = item.document.name;
    link.innerHTML = `<span class="icon">⬇</span><span></span>`;
    link.lastChild.textContent = item.document.name;
    box.append(link);
  }
  const body = document.createElement("div");
  body.className = "body";
  body.innerHTML = item.html;  // sanitised by the server (bot/runtime/simulator/telegram_html.py)
  body.querySelectorAll(".tg-spoiler").forEach((s) => s.addEventListener("click", () => s.classList.add("shown")));
  box.append(body);
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = (item.edited ? "diedit · edited  " : "") + time(item.date);
  box.append(meta);
  const nodes = [box];
  if (item.buttons) {
    const keyboard = document.createElement("div");
    keyboard.className = "keyboard";
    keyboard.dataset.messageId = item.id;
    for (const row of item.buttons) {
      const line = document.createElement("div");
      line.className = "row";
      for (const b of row) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "kb-btn";
        button.textContent = b.text + (b.url ? " ↗" : "");
        button.addEventListener("click", async () => {
          if (b.url) { window.open(b.url, "_blank"); return; }
          button.classList.add("busy");
          const result = await post("/sim/tap", { user_id: userId, message_id: item.id, data: b.data });
          if (!result.ok) showToast(result.data.error || "?");
          setTimeout(() => button.classList.remove("busy"), 1500);
        });
        line.append(button);
      }
      keyboard.append(line);
    }
    nodes.push(keyboard);
  }
  return nodes;
}

function drawNotice(item) {
  const line = document.createElement("div");
  line.className = "notice " + item.kind;
  line.dataset.kind = item.kind;
  line.textContent = (item.kind === "alert" ? "⚠ " : "") + item.text;
  return [line];
}

function draw(switched) {
  if (!state) return;
  if (!persona()) active = state.personas.length ? state.personas[0].key : null;
  const p = persona();
  $("now").textContent = "🕖 " + state.now_label;
  const today = state.now.slice(0, 10);  // the bot's date (WITA), which the clock control moves
  const dateInput = $("jump-date");
  dateInput.min = today;
  if (!dateInput.value || dateInput.value < today) {
    const next = new Date(today + "T00:00:00Z");
    next.setUTCDate(next.getUTCDate() + 1);
    dateInput.value = next.toISOString().slice(0, 10);
  }
  drawPeople();
  if (!p) return;
  const index = state.personas.indexOf(p);
  $("chat-name").textContent = p.name;
  $("chat-role").textContent = ROLES[p.role] || p.role;
  $("chat-avatar").textContent = initials(p.name);
  $("chat-avatar").style.background = COLORS[index % COLORS.length];
  $("typing").hidden = !p.typing;
  const list = $("messages");
  const atBottom = switched || list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const items = state.chats[p.user_id] || [];
  const nodes = [];
  for (const item of items) {
    // an unchanged item keeps its nodes (clicks and scrolling are not disturbed); a changed one (an edit) is redrawn
    const key = `${p.user_id}:${item.id}`;
    const signature = JSON.stringify(item);
    let cached = drawn.get(key);
    if (!cached || cached.signature !== signature) {
      cached = { signature, nodes: item.kind === "message" ? drawMessage(item, p.user_id) : drawNotice(item) };
      drawn.set(key, cached);
    }
    nodes.push(...cached.nodes);
  }
  const current = Array.from(list.children);
  if (current.length !== nodes.length || current.some((node, i) => node !== nodes[i])) list.replaceChildren(...nodes);
  if (atBottom) list.scrollTop = list.scrollHeight;
  list.dataset.stick = atBottom ? "1" : "0";
  readUpTo[p.user_id] = items.length;
  drawMenu(p);
  // callback answers of the chat on screen: a toast, or an alert that waits for OK
  for (const item of items) {
    if ((item.kind === "toast" || item.kind === "alert") && !seen.has(item.id)) {
      seen.add(item.id);
      if (!firstLoad) (item.kind === "alert" ? showAlert : showToast)(item.text);
    }
  }
}

function drawMenu(p) {
  const menu = $("menu");
  menu.replaceChildren();
  if (!p.menu.length) {
    const empty = document.createElement("div");
    empty.className = "empty";
    empty.textContent = "Belum ada menu · no menu yet";
    menu.append(empty);
  }
  for (const c of p.menu) {
    const button = document.createElement("button");
    button.type = "button";
    button.innerHTML = `<span class="cmd"></span><span class="desc"></span>`;
    button.firstChild.textContent = "/" + c.command;
    button.lastChild.textContent = c.description;
    button.addEventListener("click", () => { menu.hidden = true; send("/" + c.command); });
    menu.append(button);
  }
}

let toastTimer = null;
function showToast(text) {
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 3000);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
}

async function send(text) {
  const p = persona();
  if (!p || !text.trim()) return;
  await post("/sim/send", { user_id: p.user_id, text });
}

async function poll() {
  for (;;) {
    try {
      const response = await fetch(`/sim/state?after=${version}`);
      if (!response.ok) throw new Error(response.status);
      state = await response.json();
      version = state.version;
      if (firstLoad) {
        for (const p of state.personas) {
          readUpTo[p.user_id] = (state.chats[p.user_id] || []).length;
          for (const item of state.chats[p.user_id] || []) if (item.kind === "toast" || item.kind === "alert") seen.add(item.id);
        }
      }
      draw(firstLoad);
      firstLoad = false;
    } catch (e) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function jump(body) {
  for (const id of ["jump-tomorrow", "jump-go"]) $(id).disabled = true;
  try {
    const result = await post("/sim/clock", body);
    showToast(result.data.report || result.data.error || "?");
  } finally {
    for (const id of ["jump-tomorrow", "jump-go"]) $(id).disabled = false;
  }
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("text");
  const text = input.value;
  input.value = "";
  send(text);
});
$("messages").addEventListener("scroll", () => {
  const list = $("messages");
  list.dataset.stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80 ? "1" : "0";
});
$("menu-btn").addEventListener("click", () => { $("menu").hidden = !$("menu").hidden; });
$("photo-input").addEventListener("change", async (event) => {
  const p = persona();
  const file = event.target.files[0];
  if (!p || !file) return;
  const form = new FormData();
  form.append("user_id", p.user_id);
  form.append("caption", $("text").value);
  form.append("photo", file, file.name);
  $("text").value = "";
  event.target.value = "";
  await post("/sim/photo", form);
});
$("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
$("jump-tomorrow").addEventListener("click", () => jump({ preset: "tomorrow-0700" }));
$("jump-go").addEventListener("click", () => {
  if (!$("jump-date").value) { showToast("Pilih tanggal · choose a date"); return; }
  jump({ date: $("jump-date").value, time: $("jump-time").value || "07:00" });
});
poll();
