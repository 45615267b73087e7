// On the new-proposal page: while the owner types, list the most similar visible proposals.
(function () {
  const box = document.getElementById("similar"), list = document.getElementById("similar-list");
  const title = document.getElementById("title"), body = document.getElementById("body");
  if (!box || !title || !body) return;
  let timer = null, last = "";
  function render(items) {
    list.replaceChildren();
    for (const it of items) {
      const li = document.createElement("li"), a = document.createElement("a"), meta = document.createElement("span");
      a.href = it.url; a.textContent = it.title; a.target = "_blank"; a.rel = "noopener";
      meta.className = "small text-muted ms-2"; meta.textContent = it.status_label + " · " + it.vote_count;
      li.append(a, meta); list.append(li);
    }
    box.classList.toggle("d-none", items.length === 0);
  }
  function lookup() {
    const q = new URLSearchParams({title: title.value, body: body.value.slice(0, 2000)});
    if (q.toString() === last) return;
    last = q.toString();
    fetch(box.dataset.url + "?" + q, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(r => r.ok ? r.json() : {items: []}).then(d => render(d.items || [])).catch(() => {});
  }
  for (const el of [title, body]) el.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(lookup, 400); });
  if (title.value) lookup();
})();
