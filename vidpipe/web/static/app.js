// vidpipe's page script: a plain ES module, no build step. Every screen works without it; it
// adds the live cost estimate (New video), the status filter's auto-submit (Projects), live
// progress from the Server-Sent Events stream (Project, Review) and, on the review screen,
// forms that save in place and the crossfade slider's read-out.

// The review screen's open scene, as the query that asks the server for it ("" elsewhere).
const openQuery = () => {
  const card = document.querySelector('.scene-card[aria-current="true"]');
  return card ? `?scene=${card.dataset.scene}` : "";
};

// Replace the parts of the page that the server renders anew, from its own HTML: the page never
// computes what it shows.
const swapIn = (fresh) => {
  for (const id of ["project-body", "status-badge", "stepper", "runner-line"]) {
    const now = document.getElementById(id);
    const next = fresh.getElementById(id);
    if (now && next && now.innerHTML !== next.innerHTML) {
      now.replaceWith(document.importNode(next, true));
    }
  }
};

// A page that opens with a message to read first (a refusal, what an action did) puts the focus
// on it, unless a field was rendered with `autofocus` (the first field to fix).
const opening = document.querySelector("[data-focus]");
if (opening && !document.querySelector("[autofocus]")) opening.focus();

// ---- Projects: filtering applies on change --------------------------------------------------
for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  form.addEventListener("change", () => form.requestSubmit());
}

// ---- New video: the live estimate and field errors from GET /api/estimate -------------------
const generate = document.querySelector("form[data-estimate]");
if (generate) {
  const output = document.getElementById("estimate");
  const detail = document.getElementById("estimate-detail");
  const priced = [
    "scenes", "clip_duration", "aspect_ratio", "resolution", "crossfade", "max_cost", "takes",
    "storyboard_model", "image_model", "video_model",
  ];
  const money = (usd) =>
    usd === 0 ? "$0" : usd >= 0.01 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
  let pending = null;
  let asked = 0;

  const showError = (name, message) => {
    const error = document.getElementById(`err-${name}`);
    const field = generate.elements.namedItem(name);
    if (!error || !field) return;
    error.textContent = message ?? "";
    error.hidden = !message;
    if (message) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  };

  const estimate = async () => {
    const query = new URLSearchParams();
    let valid = true;
    for (const name of priced) {
      const field = generate.elements.namedItem(name);
      if (!field) continue;
      if (!field.checkValidity()) {
        // outside the form's own limits (e.g. 25 scenes): the browser's words, no request
        showError(name, field.validationMessage);
        valid = false;
      } else if (field.value.trim()) {
        query.set(name, field.value.trim());
      }
    }
    const ticket = ++asked;
    if (!valid) return;
    const response = await fetch(`${generate.dataset.estimate}?${query}`, {
      headers: { Accept: "application/json" },
    });
    if (ticket !== asked) return; // a newer question is on its way
    if (!response.ok) return; // only a request the form cannot make (outside the schema)
    const body = await response.json();
    for (const name of priced) showError(name, null);
    for (const problem of body.problems) {
      const name = problem.loc[problem.loc.length - 1];
      if (priced.includes(name)) showError(name, problem.msg.replace(/^invalid [\w-]+: /, ""));
    }
    output.value = money(body.estimated_cost);
    const scenes = `${body.scenes} scene${body.scenes === 1 ? "" : "s"}`;
    const free = body.free ? ": these providers cost nothing" : "";
    detail.textContent = `upper estimate for ${scenes}${free}`;
  };

  generate.addEventListener("input", (event) => {
    if (!priced.includes(event.target.name)) return;
    clearTimeout(pending);
    pending = setTimeout(() => estimate().catch(() => {}), 150);
  });
}

// ---- Project: live progress from the event stream -------------------------------------------
const live = document.getElementById("live");
if (live?.dataset.events) {
  const stages = ["storyboarding", "keyframing", "video_gen", "stitching", "complete"];
  const progress = document.getElementById("progress");
  const eta = document.getElementById("eta");
  const message = document.getElementById("message");
  let status = live.dataset.status;
  // who runs it, or that it waits for one (queue mode): as the page shows it, and as the stream says
  const shownHolder = () => {
    const line = document.getElementById("runner-line");
    return line ? JSON.stringify(JSON.parse(line.dataset.holder)) : null;
  };
  let refreshing = null;
  let lastRefresh = 0;

  const seconds = (s) =>
    s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, "0")} s`;

  const markStage = (stage) => {
    const at = stages.indexOf(stage);
    if (at < 0) return;
    for (const step of document.querySelectorAll("#stepper .step")) {
      const index = stages.indexOf(step.dataset.stage);
      const state = stage === "complete" || index < at ? "done" : index === at ? "current" : "todo";
      step.classList.remove("done", "current", "todo", "failed");
      step.classList.add(state);
      step.querySelector(".visually-hidden").textContent = `(${state})`;
      if (state === "current") step.setAttribute("aria-current", "step");
      else step.removeAttribute("aria-current");
    }
  };

  // Within one run the stages only move forward. A page fetched or a status read just before a
  // stage change can arrive after the event that announced it: neither moves the stepper back.
  let furthest = stages.indexOf(status);
  const advance = (stage) => {
    const at = stages.indexOf(stage);
    if (at < 0 || at < furthest) return;
    furthest = at;
    markStage(stage);
  };
  const keepAhead = () => {
    const shown = stages.indexOf(document.querySelector("#stepper .step.current")?.dataset.stage);
    if (shown >= 0 && shown < furthest) markStage(stages[furthest]);
    else furthest = Math.max(furthest, shown);
  };

  // Re-render the parts of the page that new rows change (keyframes, clips, runs, badge),
  // from the server's own HTML: the page never computes what it shows.
  const refresh = async () => {
    lastRefresh = Date.now();
    const response = await fetch(location.pathname + openQuery(), { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    swapIn(new DOMParser().parseFromString(await response.text(), "text/html"));
    keepAhead();
    enhance();
    live.dataset.status = status;
  };
  const refreshSoon = (wait) => {
    if (refreshing) return;
    const delay = Math.max(0, wait - (Date.now() - lastRefresh));
    refreshing = setTimeout(() => {
      refreshing = null;
      refresh().catch(() => {});
    }, delay);
  };

  const events = new EventSource(live.dataset.events);
  events.addEventListener("status", (event) => {
    const document_ = JSON.parse(event.data);
    const holder = JSON.stringify([document_.queued, document_.runner]);
    const moved = shownHolder() !== null && holder !== shownHolder(); // e.g. a worker took it
    if (document_.status !== status) {
      status = document_.status;
      advance(status);
      refreshSoon(0);
    } else if (moved) {
      refreshSoon(0);
    }
  });
  events.addEventListener("progress", (event) => {
    const p = JSON.parse(event.data);
    progress.value = p.overall_fraction;
    eta.textContent = p.eta_seconds == null ? "" : `about ${seconds(p.eta_seconds)} left`;
    message.textContent = p.message;
    // only a stage change moves the stepper: keyframes and clips overlap, and a clip's line must
    // not put the stepper on Clips while the badge (the status) still says Keyframes
    if (p.kind === "stage") advance(p.stage);
    refreshSoon(1500); // new keyframes and clips appear as they land (unchanged parts stay)
  });
  events.addEventListener("end", (event) => {
    events.close();
    status = JSON.parse(event.data).status;
    eta.textContent = ""; // the run is over, however it ended: nothing is left to wait for
    if (status === "complete") progress.value = 1;
    clearTimeout(refreshing);
    refreshing = null;
    refresh()
      .then(() => {
        delete live.dataset.events;
        live.dataset.status = status;
      })
      .catch(() => {});
  });
  // a dropped connection is retried by EventSource itself; nothing to do on "error"
}

// ---- Review: the crossfade slider says its value ---------------------------------------------
const sayValue = (range) => {
  const output = document.getElementById(range.dataset.output);
  if (output) output.value = `${Number(range.value)} s`;
};
document.addEventListener("input", (event) => {
  if (event.target.matches?.("input[type=range][data-output]")) sayValue(event.target);
});

// ---- Review: forms that save in place --------------------------------------------------------
// The form is posted as it would be without script (same fields, CSRF token included); the
// screen the server answers with (after its redirect, or its 4xx page with the message next to
// the form) replaces the changed parts, and focus goes to the message it carries. A form that
// leads to another page (a fork) goes there.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form[data-swap]") || event.defaultPrevented) return;
  event.preventDefault();
  const body = new URLSearchParams(new FormData(form, event.submitter));
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  let response;
  try {
    response = await fetch(form.getAttribute("action"), { method: "POST", body, headers: { Accept: "text/html" } });
  } catch {
    form.submit(); // the network failed before anything was sent: post it the plain way
    return;
  }
  const landed = new URL(response.url);
  if (response.redirected && landed.pathname !== location.pathname) {
    location.assign(landed.href); // e.g. a fork: the new project
    return;
  }
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  if (!fresh.getElementById("project-body")) {
    document.body.replaceWith(document.importNode(fresh.body, true));
    return; // another screen (e.g. a refused form's page): shown as it is
  }
  swapIn(fresh);
  enhance();
  keepOpenInUrl();
  const message = document.querySelector("[data-focus]");
  if (message) {
    message.focus();
    message.scrollIntoView({ block: "nearest" });
  }
});

// ---- Review: the scene timeline ---------------------------------------------------------------
// Every scene's editor is in the page; the open one is shown beside the timeline (below it on a
// phone). A card is a link to `?scene=N`, so without script the server opens it; with script it
// opens in place. Arrow keys move between cards (one tab stop), Enter opens, Escape comes back.
const cards = () => [...document.querySelectorAll(".scene-card")];

const keepOpenInUrl = () => {
  const query = openQuery();
  if (!query) return;
  const url = new URL(location.href);
  for (const note of ["saved", "redone", "selected", "reloaded"]) url.searchParams.delete(note);
  url.searchParams.set("scene", query.slice("?scene=".length));
  url.hash = "";
  history.replaceState(null, "", url);
};

const openScene = (number, focus = true) => {
  const editor = document.getElementById(`scene-${number}`);
  if (!editor?.classList.contains("editor")) return false;
  for (const other of document.querySelectorAll(".editor")) {
    if (other !== editor) {
      other.hidden = true;
      for (const video of other.querySelectorAll("video")) video.pause();
    }
  }
  editor.hidden = false;
  for (const video of editor.querySelectorAll('video[preload="none"]')) video.preload = "metadata";
  for (const card of cards()) {
    const mine = card.dataset.scene === String(number);
    if (mine) card.setAttribute("aria-current", "true");
    else card.removeAttribute("aria-current");
    card.tabIndex = mine ? 0 : -1;
  }
  // Resume, Stop and Re-stitch come back to this scene
  for (const input of document.querySelectorAll("input[data-open-scene]")) input.value = number;
  keepOpenInUrl();
  if (focus) {
    const heading = editor.querySelector("h3");
    heading.focus({ preventScroll: true });
    const top = editor.getBoundingClientRect().top;
    const bar = document.getElementById("planbar")?.getBoundingClientRect().bottom ?? 0;
    if (top < bar || top > innerHeight * 0.6) editor.scrollIntoView({ block: "start" });
  }
  return true;
};

document.addEventListener("click", (event) => {
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  const link = event.target.closest?.("a[data-scene], a[data-card]");
  if (!link) return;
  if (link.dataset.card) {
    const card = document.getElementById(`card-${link.dataset.card}`);
    if (!card) return;
    event.preventDefault();
    card.focus();
  } else if (openScene(link.dataset.scene)) {
    event.preventDefault();
  }
});

document.addEventListener("keydown", (event) => {
  const card = event.target.closest?.(".scene-card");
  if (card) {
    const all = cards();
    const at = all.indexOf(card);
    const to = { ArrowDown: at + 1, ArrowRight: at + 1, ArrowUp: at - 1, ArrowLeft: at - 1, Home: 0, End: all.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = all[Math.max(0, Math.min(all.length - 1, to))];
    for (const other of all) other.tabIndex = other === next ? 0 : -1;
    next.focus();
    next.scrollIntoView({ block: "nearest", inline: "nearest" });
    return;
  }
  if (event.key !== "Escape") return;
  const editor = event.target.closest?.(".editor");
  if (!editor) return;
  const back = document.getElementById(`card-${editor.dataset.scene}`);
  if (!back) return;
  event.preventDefault();
  back.focus();
});

// ---- Review: takes side by side, played and scrubbed together ---------------------------------
// One control for all the takes of a scene: Play all / Pause, and one position. The first take
// leads; a follower more than a tenth of a second away is put back on its time.
const players = (compare) => [...compare.querySelectorAll(".takes video")];

// the timeline and the editors keep clear of the plan bar above them, whatever its height
const planbarHeight = () => {
  const bar = document.getElementById("planbar");
  if (bar) document.documentElement.style.setProperty("--planbar", `${bar.offsetHeight}px`);
};
if (window.ResizeObserver) {
  new ResizeObserver(planbarHeight).observe(document.documentElement);
  document.addEventListener("toggle", planbarHeight, true); // "Why each step" opened or closed
}

const enhance = () => {
  planbarHeight();
  for (const compare of document.querySelectorAll("[data-compare]")) {
    const sync = compare.querySelector(".sync");
    if (!sync || !sync.hidden) continue;
    sync.hidden = false;
    for (const video of players(compare)) {
      video.removeAttribute("controls");
      video.muted = true;
    }
  }
};

const syncOf = (element) => element.closest?.("[data-compare]");

const showPosition = (compare, seconds) => {
  const scrub = compare.querySelector(".sync-scrub");
  const time = compare.querySelector(".sync-time");
  if (scrub && document.activeElement !== scrub) scrub.value = String(seconds);
  if (time) time.value = `${seconds.toFixed(1)} s`;
};

const setPlaying = (compare, playing) => {
  const button = compare.querySelector(".sync-play");
  if (!button) return;
  button.textContent = playing ? "Pause all" : "Play all";
  button.setAttribute("aria-pressed", String(playing));
};

document.addEventListener("click", (event) => {
  const button = event.target.closest?.(".sync-play");
  const compare = button && syncOf(button);
  if (!compare) return;
  const videos = players(compare);
  const playing = button.getAttribute("aria-pressed") === "true";
  if (playing) {
    for (const video of videos) video.pause();
    const at = videos[0]?.currentTime ?? 0;
    for (const video of videos) video.currentTime = Math.min(at, video.duration || at);
    setPlaying(compare, false);
    return;
  }
  const at = videos.every((v) => v.ended) ? 0 : videos[0]?.currentTime ?? 0;
  for (const video of videos) video.currentTime = Math.min(at, video.duration || at);
  setPlaying(compare, true);
  for (const video of videos) video.play().catch(() => {});
});

document.addEventListener("input", (event) => {
  if (!event.target.matches?.(".sync-scrub")) return;
  const compare = syncOf(event.target);
  const at = Number(event.target.value);
  for (const video of players(compare)) video.currentTime = Math.min(at, video.duration || at);
  showPosition(compare, at);
});

// media events do not bubble: listen while they go down (capture)
document.addEventListener(
  "timeupdate",
  (event) => {
    const compare = syncOf(event.target);
    if (!compare) return;
    const [leader, ...followers] = players(compare);
    if (event.target !== leader) return;
    showPosition(compare, leader.currentTime);
    if (leader.paused) return;
    for (const video of followers) {
      if (!video.ended && Math.abs(video.currentTime - leader.currentTime) > 0.1) {
        video.currentTime = leader.currentTime;
      }
    }
  },
  true,
);
document.addEventListener(
  "ended",
  (event) => {
    const compare = syncOf(event.target);
    if (compare && players(compare).every((video) => video.ended || video.paused)) {
      setPlaying(compare, false);
    }
  },
  true,
);

enhance();
