// listenlens coaching pages: seeking the recording, polling a call's status, uploading.
// Plain JavaScript, no build step and no dependencies.
(function () {
  "use strict";

  var player = document.getElementById("player");

  // -- tables: a header button sorts its column (numbers by data-v) ---------------
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.querySelectorAll("th button.sort"), function (button) {
      button.addEventListener("click", function () {
        var th = button.closest("th");
        var col = Array.prototype.indexOf.call(th.parentNode.children, th);
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.querySelectorAll("th[aria-sort]"), function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var ca = a.children[col], cb = b.children[col];
          var va = ca.dataset.v !== undefined ? parseFloat(ca.dataset.v) : ca.textContent.trim();
          var vb = cb.dataset.v !== undefined ? parseFloat(cb.dataset.v) : cb.textContent.trim();
          if (typeof va === "number" && isNaN(va)) va = asc ? Infinity : -Infinity;
          if (typeof vb === "number" && isNaN(vb)) vb = asc ? Infinity : -Infinity;
          var d = typeof va === "number" ? va - vb : String(va).localeCompare(String(vb));
          return asc ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // -- seek: anything with class "seek" and data-t plays the recording from that second --
  function seek(t) {
    if (!player || !isFinite(t)) return;
    player.currentTime = Math.max(0, t);
    var p = player.play();
    if (p && p.catch) p.catch(function () { /* autoplay refused: the seek still happened */ });
  }

  var timelines = Array.prototype.slice.call(document.querySelectorAll("svg.timeline"));
  var detail = document.getElementById("tl-detail");

  function timeAtClientX(svg, clientX) {
    // Map a click on the SVG to a time through its own coordinate system, so it stays
    // right whatever size the SVG is drawn at.
    var pt = svg.createSVGPoint();
    pt.x = clientX; pt.y = 0;
    var x = pt.matrixTransform(svg.getScreenCTM().inverse()).x;
    var gutter = +svg.dataset.gutter, plotW = +svg.dataset.plotW, dur = +svg.dataset.duration;
    if (x < gutter) return null;
    return Math.max(0, Math.min(dur, (x - gutter) / plotW * dur));
  }

  function showDetail(el) {
    if (detail && el && el.dataset && el.dataset.detail) detail.textContent = el.dataset.detail;
  }

  document.addEventListener("click", function (ev) {
    var target = ev.target;
    var el = target.closest ? target.closest(".seek[data-t]") : null;
    if (el) {
      ev.preventDefault();
      showDetail(el);
      seek(parseFloat(el.dataset.t));
      return;
    }
    var line = target.closest ? target.closest("#transcript .line[data-t]") : null;
    if (line) { seek(parseFloat(line.dataset.t)); return; }
    // Anywhere else on a timeline (a speech bar, an overlap, the background): from that point.
    var svg = target.closest ? target.closest("svg.timeline") : null;
    if (svg) {
      var t = timeAtClientX(svg, ev.clientX);
      if (t !== null) seek(t);
    }
  });

  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if ((ev.key === "Enter" || ev.key === " ") && el.getAttribute && el.getAttribute("role") === "button" &&
        el.classList.contains("seek")) {
      ev.preventDefault();
      showDetail(el);
      seek(parseFloat(el.dataset.t));
    }
  });
  document.addEventListener("focusin", function (ev) { showDetail(ev.target); });

  // -- follow playback: playhead on the timeline, current transcript line ---------
  var lines = Array.prototype.slice.call(document.querySelectorAll("#transcript .line"));
  var current = null;
  if (player) {
    player.addEventListener("timeupdate", function () {
      var t = player.currentTime;
      timelines.forEach(function (svg) {
        var head = svg.querySelector(".playhead");
        if (!head) return;
        var x = +svg.dataset.gutter + +svg.dataset.plotW * Math.min(1, t / +svg.dataset.duration);
        head.setAttribute("x1", x); head.setAttribute("x2", x);
      });
      var line = null;
      for (var i = 0; i < lines.length; i++) {
        if (parseFloat(lines[i].dataset.t) <= t + 0.05) line = lines[i]; else break;
      }
      if (line !== current) {
        if (current) current.classList.remove("current");
        if (line) {
          line.classList.add("current");
          var box = document.getElementById("transcript");
          if (box && !player.paused) {
            var top = line.offsetTop - box.offsetTop;
            if (top < box.scrollTop || top > box.scrollTop + box.clientHeight - 40) box.scrollTop = top - 40;
          }
        }
        current = line;
      }
    });
    // A link such as /ui/calls/ID#t=73.2 (from a rep page) starts at that moment.
    var m = /^#t=([0-9.]+)$/.exec(window.location.hash);
    if (m) {
      var start = parseFloat(m[1]);
      var cue = function () { player.currentTime = start; };
      if (player.readyState >= 1) cue(); else player.addEventListener("loadedmetadata", cue, { once: true });
    }
  }

  // -- call page: poll the status while the call is queued or processing ----------
  var processing = document.getElementById("processing");
  if (processing) {
    var id = processing.dataset.call;
    var stageText = document.getElementById("stage-text");
    var bar = document.getElementById("stage-bar");
    var meter = document.getElementById("stage-progress");
    var badge = document.getElementById("call-status");
    var shown = 0;  // the bar only moves forward
    var poll = function () {
      fetch("/ui/calls/" + encodeURIComponent(id) + "/status", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.status === "done" || s.status === "failed") { window.location.reload(); return; }
          if (badge) { badge.textContent = s.status; badge.className = "status " + s.status; }
          if (s.status === "queued") {
            stageText.textContent = "Waiting for a worker" +
              (s.queue_position ? ": number " + s.queue_position + " in the queue" : "");
          } else {
            if (s.fraction != null) shown = Math.max(shown, Math.round(s.fraction * 100));
            var stage = s.stage || "starting";
            stageText.textContent = stage.charAt(0).toUpperCase() + stage.slice(1) + (shown ? " · " + shown + "%" : "");
          }
          if (shown) { bar.classList.remove("indeterminate"); bar.style.width = shown + "%"; }
          if (meter) meter.setAttribute("aria-valuenow", shown);
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 700);
  }

  // -- upload page: send with progress, then go to the call's page ------------------
  var form = document.getElementById("upload-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var data = new FormData(form);
      var button = document.getElementById("upload-button");
      var box = document.getElementById("upload-progress");
      var ubar = document.getElementById("upload-bar");
      var text = document.getElementById("upload-text");
      var error = document.getElementById("upload-error");
      error.hidden = true; box.hidden = false; button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round(e.loaded / e.total * 100);
        ubar.style.width = pct + "%";
        text.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Checking the recording…";
      };
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if ((xhr.status === 200 || xhr.status === 202) && body && body.id) {
          text.textContent = "Uploaded. Opening the call…";
          window.location.href = "/ui/calls/" + encodeURIComponent(body.id);
          return;
        }
        button.disabled = false; box.hidden = true;
        error.textContent = (body && body.error && body.error.message) || ("The upload failed (HTTP " + xhr.status + ").");
        error.hidden = false;
      };
      xhr.onerror = function () {
        button.disabled = false; box.hidden = true;
        error.textContent = "The upload failed: the server could not be reached.";
        error.hidden = false;
      };
      xhr.send(data);
    });
  }
})();
