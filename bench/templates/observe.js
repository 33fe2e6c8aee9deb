// Injected before any page script (Playwright add_init_script). Records, in performance.now() time:
//   dom   — when the first marker (a place or a cluster icon) entered Leaflet's marker pane; area labels,
//           which Takara Map draws as markers in a pane of their own, do not count,
//   paint — two animation frames after `dom`: the frame with the markers has been painted and the main
//           thread was free to paint it (a long task delays this, as it delays what a person sees),
//   hook  — when the page itself said its first markers were drawn (performance.mark
//           'takara-first-markers' or window.takara.firstMarkersAt), recorded for comparison only,
//   longtasks — [startTime, duration] of every task over 50 ms.
(() => {
  const b = (window.__bench = { dom: null, hook: null, paint: null, longtasks: [] });
  const seen = () => {
    if (b.paint !== null || b.pending) return;
    b.pending = true;
    requestAnimationFrame(() => requestAnimationFrame(() => { b.paint = performance.now(); }));
  };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { /* no longtask support: leave the list empty */ }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.name === "takara-first-markers" && b.hook === null) { b.hook = e.startTime; }
      }
    }).observe({ type: "mark", buffered: true });
  } catch (e) { /* no mark observer */ }
  const inMarkerPane = (n) => n.nodeType === 1 && n.parentNode && n.parentNode.classList &&
    n.parentNode.classList.contains("leaflet-marker-pane");
  const mo = new MutationObserver((mutations) => {
    for (const m of mutations) {
      for (const n of m.addedNodes) {
        if (inMarkerPane(n)) {
          b.dom = performance.now();
          mo.disconnect();
          seen();
          return;
        }
      }
    }
  });
  mo.observe(document, { childList: true, subtree: true });
  // A page may set window.takara.firstMarkersAt without a performance mark: poll it cheaply.
  const poll = () => {
    const t = window.takara && window.takara.firstMarkersAt;
    if (typeof t === "number" && b.hook === null) { b.hook = t; }
    if (b.hook === null && b.paint === null) setTimeout(poll, 50);
  };
  setTimeout(poll, 0);
})();
