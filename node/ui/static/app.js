// datadao web app: the export drop zone and live job progress (server-sent events).
// No build step, no framework; htmx (vendored) does the rest.
"use strict";

function setupDrop() {
  const zone = document.getElementById("drop");
  if (!zone) return;
  const input = document.getElementById(zone.dataset.dropFor);
  const stop = (e) => { e.preventDefault(); e.stopPropagation(); };
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => {
    stop(e); zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => {
    stop(e); zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (e) => {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
}

function render(snap) {
  for (const [step, st] of Object.entries(snap.steps)) {
    const li = document.querySelector(`li[data-step="${CSS.escape(step)}"]`);
    if (!li) continue;
    const bar = li.querySelector("progress");
    const amount = li.querySelector(".amount");
    if (st.total) { bar.max = st.total; bar.value = st.done; }
    amount.textContent = st.total ? `${st.done.toLocaleString()} / ${st.total.toLocaleString()}`
                                  : st.done.toLocaleString();
  }
  const notes = document.getElementById("job-notes");
  if (notes) {
    notes.replaceChildren(...snap.notes.map((n) => {
      const li = document.createElement("li"); li.textContent = n; return li;
    }));
  }
}

function followJob() {
  const box = document.getElementById("job");
  if (!box) return;
  const status = document.getElementById("job-status");
  if (status.dataset.status !== "running") return;
  const source = new EventSource(box.dataset.events);
  source.addEventListener("progress", (e) => render(JSON.parse(e.data)));
  source.addEventListener("end", (e) => {
    source.close();
    render(JSON.parse(e.data));
    window.location.reload(); // the server renders the outcome
  });
}

document.addEventListener("DOMContentLoaded", () => { setupDrop(); followJob(); });
