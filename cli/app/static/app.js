// The page's behaviour: two tabs over the JSON API of cli/app/server.py. No libraries, nothing from the network.
"use strict";
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function showError(id, message) {
  const box = $(id);
  box.textContent = message || "";
  box.hidden = !message;
}

async function call(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (err) {
    return { error: "The server did not answer: is app.py still running?" };
  }
  let data;
  try { data = await response.json(); } catch (err) { data = {}; }
  if (!response.ok) return { error: data.error || data.detail || `The server answered ${response.status}.` };
  return data;
}

// ---- tabs ----------------------------------------------------------------------------------------------------
for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
    document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("active", p.id === tab.dataset.tab));
  });
}

call("/api/info").then((info) => {
  if (info.error) return;
  const parts = [];
  if (info.translate_ckpt) parts.push(`translation: ${info.translate_ckpt}`);
  if (info.devise_ckpt) parts.push(`DeViSE: ${info.devise_ckpt}`);
  $("models").textContent = parts.join(" · ");
  if (!info.methods.includes("conse")) $("method-conse").disabled = true;
});

// ---- translation ---------------------------------------------------------------------------------------------
function heatmap(sourceTokens, hypothesis) {
  const table = el("table", { class: "heatmap", id: "heatmap" });
  const head = el("tr", {}, el("th"));
  for (const token of sourceTokens) head.append(el("th", {}, token));
  table.append(el("thead", {}, head));
  const body = el("tbody");
  hypothesis.attention.forEach((row, i) => {
    const tr = el("tr", {}, el("th", {}, hypothesis.tokens[i]));
    row.forEach((weight, j) => {
      const td = el("td", { title: `${hypothesis.tokens[i]} ← ${sourceTokens[j]}: ${weight.toFixed(3)}` });
      td.style.background = `rgba(31, 119, 180, ${Math.min(1, weight).toFixed(3)})`;
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(body);
  return table;
}

function renderSentence(sentence, index) {
  const box = el("div", { class: "sentence" }, el("div", {}, el("strong", {}, sentence.source)));
  const list = el("ol", { class: "nbest", id: `nbest-${index}` });
  const mapHolder = el("div");
  sentence.hypotheses.forEach((hyp, k) => {
    const item = el("li", {}, hyp.text, el("span", { class: "score" }, `score ${hyp.score.toFixed(3)}`));
    item.addEventListener("click", () => {
      list.querySelectorAll("li").forEach((li) => li.classList.remove("chosen"));
      item.classList.add("chosen");
      mapHolder.replaceChildren(hyp.attention ? heatmap(sentence.source_tokens, hyp) :
        el("p", { class: "muted" }, "This model has no attention to show."));
    });
    list.append(item);
    if (k === 0) setTimeout(() => item.click(), 0);
  });
  box.append(list, mapHolder);
  return box;
}

async function translate() {
  showError("tr-error", "");
  $("tr-status").textContent = "Translating…";
  const body = { text: $("fr-text").value, beam: Number($("beam").value), n_best: Number($("nbest").value) };
  const data = await call("/api/translate", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  $("tr-status").textContent = "";
  if (data.error) { showError("tr-error", data.error); $("tr-result").hidden = true; return; }
  $("tr-output").textContent = data.translation;
  $("tr-time").textContent = `Decoded in ${(data.seconds * 1000).toFixed(0)} ms with beam ${data.beam}. ` +
    "Click a translation to see where its attention went.";
  $("sentences").replaceChildren(...data.sentences.map(renderSentence));
  $("tr-result").hidden = false;
}
$("translate-btn").addEventListener("click", translate);
$("fr-text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) translate(); });

// ---- search --------------------------------------------------------------------------------------------------
const method = () => document.querySelector("input[name=method]:checked").value;
const star = (held) => (held ? " ★" : "");

function fillList(id, hits) {
  $(id).replaceChildren(...hits.map((h) => el("li", { class: h.held_out ? "held" : "" },
    `${h.label}${star(h.held_out)}`, el("span", { class: "score" }, h.score.toFixed(3)))));
}

function showGrid(title, images) {
  $("grid-title").textContent = title;
  $("grid-title").hidden = false;
  $("grid").replaceChildren(...images.map((img) => el("figure", {},
    el("img", { src: `/api/image/${img.id}`, alt: img.label, class: "result" }),
    el("figcaption", { class: img.held_out ? "held" : "" }, `${img.label}${star(img.held_out)} · ${img.score.toFixed(3)}`))));
}

async function searchImage(file) {
  showError("img-error", "");
  const form = () => { const f = new FormData(); f.append("file", file); f.append("method", method()); return f; };
  const labels = await call("/api/label", { method: "POST", body: form() });
  if (labels.error) { showError("img-error", labels.error); $("label-result").hidden = true; return; }
  $("query-preview").src = URL.createObjectURL(file);
  fillList("classes-list", labels.classes);
  fillList("nouns-list", labels.nouns);
  $("label-time").textContent = `Labelled in ${(labels.seconds * 1000).toFixed(0)} ms (${method()}).`;
  $("label-result").hidden = false;
  const similar = await call("/api/similar", { method: "POST", body: form() });
  if (similar.error) { showError("img-error", similar.error); return; }
  showGrid("Images nearest your image", similar.images);
}

$("image-input").addEventListener("change", (e) => { if (e.target.files.length) searchImage(e.target.files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files.length) searchImage(e.dataTransfer.files[0]);
});

async function searchText() {
  showError("text-error", "");
  const data = await call("/api/text", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query: $("text-query").value, method: method() }) });
  if (data.error) { showError("text-error", data.error); return; }
  const unknown = data.unknown_words.length ? ` (no vector for: ${data.unknown_words.join(", ")})` : "";
  showGrid(`Images nearest “${data.query}”${unknown}`, data.images);
}
$("text-btn").addEventListener("click", searchText);
$("text-query").addEventListener("keydown", (e) => { if (e.key === "Enter") searchText(); });
