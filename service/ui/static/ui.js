// listenlens coaching pages: seeking the recording, polling a call's status, uploading.
// Plain JavaScript, no build step and no dependencies.
(function () {
  "use strict";

  var player = document.getElementById("player");

  // -- seek: anything with data-t plays the recording from that second ----------
  function seek(t) {
    if (!player || !isFinite(t)) return;
    player.currentTime = Math.max(0, t);
    var p = player.play();
    if (p && p.catch) p.catch(function () { /* autoplay refused: the seek still happened */ });
  }

  var timeline = document.getElementById("timeline");

  function timeAtClientX(clientX) {
    // Map a click on the SVG to a time through its own coordinate system, so it stays
    // right whatever size the SVG is drawn at.
    var pt = timeline.createSVGPoint();
    pt.x = clientX; pt.y = 0;
    var x = pt.matrixTransform(timeline.getScreenCTM().inverse()).x;
    var gutter = +timeline.dataset.gutter, plotW = +timeline.dataset.plotW, dur = +timeline.dataset.duration;
    return Math.max(0, Math.min(dur, (x - gutter) / plotW * dur));
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-t]") : null;
    if (el && el.classList.contains("seek")) {
      ev.preventDefault();
      seek(parseFloat(el.dataset.t));
      return;
    }
    if (timeline && ev.target.classList && ev.target.classList.contains("seek-area")) {
      seek(timeAtClientX(ev.clientX));
    }
  });

  // -- follow playback: playhead on the timeline, current transcript line ---------
  var playhead = document.getElementById("playhead");
  var lines = Array.prototype.slice.call(document.querySelectorAll("#transcript .line"));
  var current = null;
  if (player) {
    player.addEventListener("timeupdate", function () {
      var t = player.currentTime;
      if (playhead && timeline) {
        var x = +timeline.dataset.gutter + +timeline.dataset.plotW * Math.min(1, t / +timeline.dataset.duration);
        playhead.setAttribute("x1", x); playhead.setAttribute("x2", x);
      }
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
  }

  // -- call page: poll the status while the call is queued or processing ----------
  var processing = document.getElementById("processing");
  if (processing) {
    var id = processing.dataset.call;
    var stageText = document.getElementById("stage-text");
    var bar = document.getElementById("stage-bar");
    var badge = document.getElementById("call-status");
    var poll = function () {
      fetch("/ui/calls/" + encodeURIComponent(id) + "/status", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.status === "done" || s.status === "failed") { window.location.reload(); return; }
          if (badge) { badge.textContent = s.status; badge.className = "status " + s.status; }
          stageText.textContent = s.status === "queued" ? "Waiting for a worker…" : "Stage: " + (s.stage || "starting") +
            (s.fraction != null ? " (" + Math.round(s.fraction * 100) + "%)" : "");
          if (s.fraction != null) { bar.classList.remove("indeterminate"); bar.style.width = Math.round(s.fraction * 100) + "%"; }
          else { bar.classList.add("indeterminate"); bar.style.width = ""; }
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
