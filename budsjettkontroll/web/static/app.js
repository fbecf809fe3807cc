// The live part of the amendment page: post the form on each change, swap in the balance strip and results.
// Everything is computed on the server by the same engine as `budsjettkontroll amend`.
(function () {
  "use strict";
  const form = document.getElementById("forslag");
  if (!form) return;
  let timer = null, seq = 0, ctrl = null;

  function fields() { return new URLSearchParams(new FormData(form)); }

  function swap(html) {
    const t = document.createElement("template");
    t.innerHTML = html;
    for (const id of ["strip", "resultater"]) {
      const fresh = t.content.getElementById(id), old = document.getElementById(id);
      if (fresh && old) old.replaceWith(fresh);
    }
    document.querySelectorAll("tr.derived").forEach(function (tr) { tr.remove(); });
    t.content.querySelectorAll("template[data-derived-for]").forEach(function (tpl) {
      const row = document.querySelector('tr[data-row="' + tpl.dataset.derivedFor + '"]');
      if (row) row.after.apply(row, Array.from(tpl.content.querySelectorAll("tr")));
    });
    document.querySelectorAll("input.invalid").forEach(function (i) { i.classList.remove("invalid"); });
    document.querySelectorAll("[data-problem-line]").forEach(function (li) {
      document.querySelectorAll("input[data-line]").forEach(function (input) {
        if (input.dataset.line === li.dataset.problemLine &&
            (!li.dataset.problemYear || input.dataset.year === li.dataset.problemYear)) input.classList.add("invalid");
      });
    });
  }

  async function recompute() {
    const mine = ++seq;
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    document.body.classList.add("busy");
    try {
      const res = await fetch("/beregn", {method: "POST", body: fields(), signal: ctrl.signal});
      const html = await res.text();
      if (mine === seq) swap(html);
    } catch (e) {
      if (e.name !== "AbortError") swap('<div id="resultater" class="results"><p class="problems">Serveren svarer ikke: ' +
                                       String(e.message).replace(/[<&]/g, "") + "</p></div>");
    } finally {
      if (mine === seq) document.body.classList.remove("busy");
    }
  }

  form.addEventListener("input", function (e) {
    if (!e.target.name || e.target.name.startsWith("ny.")) return;
    clearTimeout(timer);
    timer = setTimeout(recompute, 120);
  });

  // Enter recomputes at once (in a cell) or adds the new line (in the «legg til» fields); it never submits
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.target.tagName !== "INPUT") return;
    e.preventDefault();
    if (e.target.name.startsWith("ny.")) { document.querySelector('[data-action="add-line"]').click(); return; }
    clearTimeout(timer);
    recompute();
  });

  const download = document.querySelector('[data-action="download-proposal"]');
  if (download) download.addEventListener("click", async function () {
    const res = await fetch("/last-ned", {method: "POST", body: fields()});
    if (!res.ok) { swap(await res.text()); return; }
    const name = (/filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "") || [])[1] || "endringsforslag.yaml";
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a");
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  });

  const kind = document.querySelector('[data-action="new-kind"]');
  function showProject() {
    document.querySelectorAll(".add .for-project").forEach(function (el) { el.hidden = kind.value !== "prosjekt"; });
  }
  if (kind) { kind.addEventListener("change", showProject); showProject(); }

  const choose = document.querySelector('[data-action="choose-package"]');
  if (choose) choose.addEventListener("change", function () { choose.form.submit(); });
})();
