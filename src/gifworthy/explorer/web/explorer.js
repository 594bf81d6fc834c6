// gifworthy explorer: a static page over index.js (window.GIFWORTHY_INDEX) and data files it
// loads when it needs them (labels/<n>.js, ids/<c>.js, videos/<n>.js; see build.py). The
// first screen reads the index and one label's file, so 650,000 clips open as fast as 60.
// Every annotation text goes through textContent / setAttribute: never innerHTML, so a label
// like <img src=x onerror=alert(1)> stays text. Cards render a page at a time and GIFs load
// lazily.
"use strict";
(function () {
  const index = window.GIFWORTHY_INDEX ||
    { clips: 0, labels: [], id_shards: [], videos: 0, video_chunks: [], page_size: 60 };
  const pageSize = index.page_size || 60;
  const $ = (id) => document.getElementById(id);
  const content = $("content"), sidebar = $("sidebar"), filter = $("filter"), count = $("count");
  let observer = null;
  let view = 0;  // bumped by every route(): a slow load for an old view renders nothing
  const state = { label: null };

  // Data files are scripts that call GIFWORTHY_CHUNK(name, payload): they load from file://.
  const chunks = new Map(), waiting = new Map();
  window.GIFWORTHY_CHUNK = (name, payload) => {
    const resolve = waiting.get(name);
    if (resolve) { waiting.delete(name); resolve(payload); }
  };
  function load(name) {
    if (!chunks.has(name)) {
      chunks.set(name, new Promise((resolve, reject) => {
        waiting.set(name, resolve);
        const script = document.createElement("script");
        script.src = name + ".js";
        script.onerror = () => { chunks.delete(name); reject(new Error("cannot load " + name)); };
        document.head.append(script);
      }));
    }
    return chunks.get(name);
  }

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

  function failed(err) {
    content.append(el("div", { class: "empty", text: String(err.message || err) }));
  }

  // Render a list page by page. ``parts`` are functions returning (promises of) arrays,
  // fetched in order only when the pages before them are on screen: "All labels" over
  // 700 label files loads the first one, then the next as you scroll.
  function paged(parts, render, container) {
    if (observer) observer.disconnect();
    const mine = view;
    const grid = el("div", { class: "grid" });
    const sentinel = el("div", { class: "sentinel" });
    const more = el("button", { class: "more", text: "Show more", onclick: () => next() });
    container.append(grid, sentinel, more);
    let buffer = [], part = 0, busy = false;
    async function next() {
      if (busy) return;
      busy = true;
      try {
        while (buffer.length < pageSize && part < parts.length) {
          const items = await parts[part++]();
          if (mine !== view) return;
          buffer = buffer.concat(items);
        }
        const frag = document.createDocumentFragment();
        for (const item of buffer.splice(0, pageSize)) frag.append(render(item));
        grid.append(frag);
        more.hidden = !buffer.length && part >= parts.length;
      } catch (err) {
        failed(err);
      } finally {
        busy = false;
      }
    }
    next();
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting) && !more.hidden) next();
      }, { rootMargin: "600px" });
      observer.observe(sentinel);
    }
  }

  const matches = (text, q) => !q || String(text || "").toLowerCase().includes(q);
  const ID_QUERY = /^[A-Za-z0-9_-]{2,}$/;

  // Clip ids starting with the query, across every label: one ids/<c>.js file (every id
  // that starts with the query's first character), then the hits' own labels' files.
  async function idHits(raw) {
    if (!ID_QUERY.test(raw) || !index.id_shards.includes(raw.charCodeAt(0))) return [];
    const entries = await load("ids/" + raw.charCodeAt(0));
    return entries.filter(([id]) => id.startsWith(raw));
  }
  async function clipsOf(hits) {
    const byLabel = new Map();
    for (const [id, n] of hits) {
      if (!byLabel.has(n)) byLabel.set(n, new Set());
      byLabel.get(n).add(id);
    }
    const out = [];
    for (const [n, ids] of byLabel) {
      for (const c of await load("labels/" + n)) if (ids.has(c.id)) out.push(c);
    }
    return out;
  }

  async function showLabels() {
    const mine = view;
    const raw = filter.value.trim(), q = raw.toLowerCase();
    const named = [];  // labels whose name matches: all their clips
    index.labels.forEach(([name, n], i) => { if (matches(name, q)) named.push(i); });
    const namedSet = new Set(named);
    // Clips whose id matches, in labels whose name does not (those are shown whole).
    const hits = (await idHits(raw)).filter(([, n]) => !namedSet.has(n));
    if (mine !== view) return;
    const perLabel = new Map(named.map((i) => [i, index.labels[i][1]]));
    for (const [, n] of hits) perLabel.set(n, (perLabel.get(n) || 0) + 1);
    const shownLabels = [...perLabel.keys()].sort((a, b) => a - b);
    const total = [...perLabel.values()].reduce((a, b) => a + b, 0);
    sidebar.replaceChildren();
    sidebar.append(el("button", { class: state.label === null ? "active" : "",
      onclick: () => { state.label = null; route(); } },
      el("span", { text: "All labels" }), el("span", { text: String(total) })));
    for (const i of shownLabels) {
      const [name] = index.labels[i];
      sidebar.append(el("button", {
        class: state.label === i ? "active" : "", "data-label": name,
        onclick: () => { state.label = i; route(); } },
        el("span", { text: name || "(no label)" }), el("span", { text: String(perLabel.get(i)) })));
    }
    const chosen = state.label;
    const shown = chosen === null ? total : (perLabel.get(chosen) || 0);
    count.textContent = `${shown} of ${index.clips} clips, ${shownLabels.length} labels`;
    content.replaceChildren();
    if (!shown) { content.append(el("div", { class: "empty", text: "No clips match." })); return; }
    const whole = (i) => () => load("labels/" + i);
    let parts;
    if (chosen !== null) {
      parts = namedSet.has(chosen) ? [whole(chosen)]
        : [() => clipsOf(hits.filter(([, n]) => n === chosen))];
    } else {
      parts = (hits.length ? [() => clipsOf(hits)] : []).concat(named.map(whole));
    }
    paged(parts, clipCard, content);
  }

  // Videos are in files of a thousand, by id; the index has each file's first id.
  const videoParts = () => index.video_chunks.map((_, i) => () => load("videos/" + i));
  function chunkOf(id) {
    let lo = 0, hi = index.video_chunks.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (index.video_chunks[mid][0] <= id) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  function videoRow(v) {
    return el("div", { class: "video-row" },
      el("a", { href: "#video=" + encodeURIComponent(v.youtube_id), text: v.title || v.youtube_id }),
      el("span", { class: "meta", text: ` ${v.youtube_id} · ${v.gifs.length} GIF(s) · ${fmt(v.duration)}` }));
  }

  async function showVideos() {
    const mine = view;
    const q = filter.value.trim().toLowerCase();
    sidebar.replaceChildren(el("div", { class: "meta",
      text: "Videos with their GIFs; open one to see where its GIFs lie." }));
    content.replaceChildren();
    if (!q) {
      count.textContent = `${index.videos} of ${index.videos} videos`;
      if (!index.videos) { content.append(el("div", { class: "empty", text: "No videos match." })); return; }
      paged(videoParts(), videoRow, content);
      return;
    }
    // A filter reads every video file (a hundred for Video2GIF), once; then it is instant.
    count.textContent = `searching ${index.videos} videos…`;
    let found = [];
    try {
      for (const part of videoParts()) {
        const videos = await part();
        if (mine !== view) return;
        found = found.concat(videos.filter((v) => matches(v.title, q) || matches(v.youtube_id, q) ||
          v.gifs.some((g) => matches(g.title, q))));
      }
    } catch (err) { failed(err); return; }
    count.textContent = `${found.length} of ${index.videos} videos`;
    if (!found.length) { content.append(el("div", { class: "empty", text: "No videos match." })); return; }
    paged([() => found], videoRow, content);
  }

  async function showVideo(id) {
    const mine = view;
    sidebar.replaceChildren(el("a", { href: "#videos", text: "← all videos" }));
    content.replaceChildren();
    const n = chunkOf(id);
    let v = null;
    try {
      if (n >= 0) v = (await load("videos/" + n)).find((x) => x.youtube_id === id) || null;
    } catch (err) { failed(err); return; }
    if (mine !== view) return;
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
    paged([() => v.gifs], (g) => {
      const card = el("div", { class: "card" + (g.status === "failed" ? " failed" : "") });
      card.append(media(g.src, g.title), el("div", { class: "meta label", text: g.title || g.gif_id }),
                  el("div", { class: "meta", text: `${fmt(g.start)}-${fmt(g.end)} · ${g.views} views` }));
      return card;
    }, content);
  }

  function route() {
    view += 1;
    const hash = decodeURIComponent(location.hash.slice(1));
    const videosTab = hash.startsWith("video");
    $("tab-labels").classList.toggle("active", !videosTab);
    $("tab-videos").classList.toggle("active", videosTab);
    if (hash.startsWith("video=")) showVideo(hash.slice(6));
    else if (hash === "videos" || (!index.clips && index.videos && hash !== "labels")) showVideos();
    else showLabels();
  }
  let timer = null;
  filter.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.label = null; route(); }, 120);
  });
  window.addEventListener("hashchange", route);
  route();
})();
