// gifworthy explorer: a static page over data.js (window.GIFWORTHY_DATA).
// Every annotation text goes through textContent / setAttribute: never innerHTML, so a label
// like <img src=x onerror=alert(1)> stays text. Cards are rendered a page at a time and GIFs
// load lazily, so 10,000 entries stay smooth.
"use strict";
(function () {
  const data = window.GIFWORTHY_DATA || { clips: [], videos: [], page_size: 60 };
  const pageSize = data.page_size || 60;
  const $ = (id) => document.getElementById(id);
  const content = $("content"), sidebar = $("sidebar"), filter = $("filter"), count = $("count");
  let observer = null;
  let state = { label: null };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }
  const fmt = (s) => (s === null || s === undefined ? "" : Number(s).toFixed(1) + " s");

  function media(src, alt) {
    if (!src) return el("div", { class: "meta", text: "no GIF" });
    if (src.endsWith(".mp4")) {
      return el("video", { src, muted: "", loop: "", autoplay: "", playsinline: "",
                           preload: "none", title: alt });
    }
    return el("img", { src, alt, loading: "lazy", decoding: "async", width: "180" });
  }

  function clipCard(c) {
    const card = el("div", { class: "card" + (c.status === "failed" ? " failed" : "") });
    card.append(media(c.src, c.label));
    card.append(el("div", { class: "meta label", text: c.label || "(no label)" }));
    card.append(el("div", { class: "meta",
      text: `${c.youtube_id} ${fmt(c.start)}-${fmt(c.end)} ${c.split || ""}` }));
    if (c.status !== "ok") card.append(el("div", { class: "meta", text: c.message || c.status }));
    return card;
  }

  // Render items page by page: the first screen costs pageSize cards, whatever the total.
  function paged(items, render, container) {
    if (observer) observer.disconnect();
    let shown = 0;
    const grid = el("div", { class: "grid" });
    const sentinel = el("div", { class: "sentinel" });
    const more = el("button", { class: "more", text: "Show more", onclick: () => next() });
    container.append(grid, sentinel, more);
    function next() {
      const frag = document.createDocumentFragment();
      for (const item of items.slice(shown, shown + pageSize)) frag.append(render(item));
      grid.append(frag);
      shown = Math.min(items.length, shown + pageSize);
      more.hidden = shown >= items.length;
    }
    next();
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting) && shown < items.length) next();
      }, { rootMargin: "600px" });
      observer.observe(sentinel);
    }
  }

  function matches(text, q) { return !q || String(text || "").toLowerCase().includes(q); }

  function showLabels() {
    const q = filter.value.trim().toLowerCase();
    const clips = data.clips.filter((c) =>
      matches(c.label, q) || matches(c.youtube_id, q) || matches(c.id, q));
    const counts = new Map();
    for (const c of clips) counts.set(c.label, (counts.get(c.label) || 0) + 1);
    sidebar.replaceChildren();
    const labels = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(b[0]));
    const allBtn = el("button", { class: state.label === null ? "active" : "",
      onclick: () => { state.label = null; showLabels(); } },
      el("span", { text: "All labels" }), el("span", { text: String(clips.length) }));
    sidebar.append(allBtn);
    for (const [label, n] of labels) {
      sidebar.append(el("button", {
        class: state.label === label ? "active" : "", "data-label": label,
        onclick: () => { state.label = label; showLabels(); } },
        el("span", { text: label || "(no label)" }), el("span", { text: String(n) })));
    }
    const shown = state.label === null ? clips : clips.filter((c) => c.label === state.label);
    count.textContent = `${shown.length} of ${data.clips.length} clips, ${labels.length} labels`;
    content.replaceChildren();
    if (!shown.length) { content.append(el("div", { class: "empty", text: "No clips match." })); return; }
    paged(shown, clipCard, content);
  }

  function showVideos() {
    const q = filter.value.trim().toLowerCase();
    const videos = data.videos.filter((v) => matches(v.title, q) || matches(v.youtube_id, q) ||
      v.gifs.some((g) => matches(g.title, q)));
    sidebar.replaceChildren(el("div", { class: "meta",
      text: "Videos with their GIFs; open one to see where its GIFs lie." }));
    count.textContent = `${videos.length} of ${data.videos.length} videos`;
    content.replaceChildren();
    if (!videos.length) { content.append(el("div", { class: "empty", text: "No videos match." })); return; }
    paged(videos, (v) => el("div", { class: "video-row" },
      el("a", { href: "#video=" + encodeURIComponent(v.youtube_id), text: v.title || v.youtube_id }),
      el("span", { class: "meta", text: ` ${v.youtube_id} · ${v.gifs.length} GIF(s) · ${fmt(v.duration)}` })),
      content);
  }

  function showVideo(id) {
    const v = data.videos.find((x) => x.youtube_id === id);
    sidebar.replaceChildren(el("a", { href: "#videos", text: "← all videos" }));
    content.replaceChildren();
    if (!v) { content.append(el("div", { class: "empty", text: "Unknown video." })); return; }
    count.textContent = `${v.gifs.length} GIF(s)`;
    content.append(el("h2", { text: v.title || v.youtube_id }),
                   el("div", { class: "meta", text: `${v.youtube_id} · ${v.category || ""} · ${fmt(v.duration)}` }));
    const bar = el("div", { class: "timeline", title: "GIF positions in the video" });
    const dur = v.duration || Math.max(1, ...v.gifs.map((g) => g.end));
    for (const g of v.gifs) {
      const span = el("span", { title: `${g.gif_id}: ${fmt(g.start)}-${fmt(g.end)}` });
      span.style.left = (100 * g.start / dur) + "%";
      span.style.width = (100 * (g.end - g.start) / dur) + "%";
      bar.append(span);
    }
    for (const r of v.ranked || []) {
      const span = el("span", { class: "ranked", title: `model rank ${r.rank}: ${fmt(r.start)}-${fmt(r.end)}` });
      span.style.left = (100 * r.start / dur) + "%";
      span.style.width = (100 * (r.end - r.start) / dur) + "%";
      bar.append(span);
    }
    content.append(bar);
    if (v.ranked && v.ranked.length) {
      const row = el("div", { class: "ranked-row" });
      for (const r of v.ranked) {
        const card = el("div", { class: "card ranked" + (r.hit ? " hit" : "") });
        card.append(media(r.src, `rank ${r.rank}`),
                    el("div", { class: "meta label", text: `model rank ${r.rank}` + (r.hit ? " · overlaps a GIF" : "") }),
                    el("div", { class: "meta", text: `${fmt(r.start)}-${fmt(r.end)} · score ${r.score.toFixed(2)}` }));
        row.append(card);
      }
      content.append(el("h3", { text: "Best segments by the trained ranker" }), row,
                     el("h3", { text: "Ground-truth GIFs" }));
    }
    paged(v.gifs, (g) => {
      const card = el("div", { class: "card" + (g.status === "failed" ? " failed" : "") });
      card.append(media(g.src, g.title), el("div", { class: "meta label", text: g.title || g.gif_id }),
                  el("div", { class: "meta", text: `${fmt(g.start)}-${fmt(g.end)} · ${g.views} views` }));
      return card;
    }, content);
  }

  function route() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const videosTab = hash.startsWith("video");
    $("tab-labels").classList.toggle("active", !videosTab);
    $("tab-videos").classList.toggle("active", videosTab);
    if (hash.startsWith("video=")) showVideo(hash.slice(6));
    else if (hash === "videos" || (!data.clips.length && data.videos.length && hash !== "labels")) showVideos();
    else showLabels();
  }
  let timer = null;
  filter.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(route, 120); });
  window.addEventListener("hashchange", route);
  route();
})();
