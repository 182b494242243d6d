/* 乡村电商学堂 — working without signal. Without this script every page and form works online
 * as before; with it:
 *  - the service worker (/sw.js) is installed; pages a person opened stay readable offline;
 *  - a form marked data-offline, sent with no connection, is kept on this phone (IndexedDB,
 *    idb-keyval) with its uuid, its owner and the time it was made, listed on /pending
 *    ("待上传") where it can be opened and fixed, and sent through POST /api/v1/sync on load,
 *    when the connection returns and from the big "上传" button; photos are shrunk first;
 *  - entries of another person who used this phone wait for them: never sent as someone else,
 *    never deleted; what the worker kept of a person's pages is dropped at logout. */
(function () {
  "use strict";
  var kv = self.idbKeyval;
  var body = document.body;
  var text = document.getElementById("lms-text");
  if (!kv || !window.indexedDB || !window.fetch || !window.Promise || !text) return;
  var T = JSON.parse(text.textContent);
  // A shell page (/pending, /offline) is the same for everyone: it takes the person from the
  // last page they had open here, who is forgotten at logout.
  var user = body.dataset.user ? Number(body.dataset.user)
    : body.hasAttribute("data-shell") ? Number(localStorage.getItem("lms-user")) || null : null;
  var entries = kv.createStore("lms-offline", "entries");
  var SKIP = ["csrf_token", "uuid", "version", "staged_photo", "photo", "next", "remove_photo", "another"];
  var MAX_SIDE = 1280;
  var syncing = false;
  var settled = [];  // what must be done before the first sync of this page

  function say(key, n) { return (T[key] || key).replace("{n}", n); }
  function when(iso) {  // Asia/Shanghai, as every page shows times: 12月2日 09:30
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    var time = parts.hour + ":" + parts.minute;
    return document.documentElement.lang === "en"
      ? parts.month + "/" + parts.day + " " + time
      : parts.month + "月" + parts.day + "日 " + time;
  }
  function newUuid() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }
  function all() { return kv.values(entries); }
  function mine(list) { return list.filter(function (e) { return e.user_id === user; }); }

  /* --- the service worker and what it keeps ------------------------------------------ */
  function forgetPages() { return self.caches ? caches.delete("pages") : Promise.resolve(); }
  var last = localStorage.getItem("lms-user");
  var forgotten = body.dataset.user && last && last !== body.dataset.user
    ? forgetPages() : Promise.resolve();  // someone else used this phone before
  if (body.dataset.user) localStorage.setItem("lms-user", body.dataset.user);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
    var keep = document.querySelector('meta[name="lms-keep"]');
    if (keep && navigator.onLine) {
      Promise.all([forgotten, navigator.serviceWorker.ready]).then(function (done) {
        var worker = done[1].active;
        if (worker) worker.postMessage({ type: "keep", urls: keep.content.split(" ").filter(Boolean) });
      });
    }
  }
  document.querySelectorAll('form[action$="/logout"]').forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      localStorage.removeItem("lms-user");
      forgetPages().then(function () { form.submit(); }, function () { form.submit(); });
    });
  });
  if (body.hasAttribute("data-copy")) {
    var copy = document.getElementById("offline-copy");
    copy.textContent = say("copy").replace("{t}", when(body.dataset.rendered));
    copy.hidden = false;
  }

  /* --- keeping a form's entry on the phone ------------------------------------------- */
  function shrink(file) {
    if (!file || !file.size) return Promise.resolve(null);
    if (!self.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (done) { canvas.toBlob(done, "image/jpeg", 0.8); });
    }).catch(function () { return file; });  // the server checks it anyway
  }

  function entryFrom(form, before) {
    var data = JSON.parse(form.dataset.offlineExtra || "{}");
    new FormData(form).forEach(function (value, name) {
      if (SKIP.indexOf(name) >= 0 || typeof value !== "string") return;
      if (name in data) data[name] = [].concat(data[name], value);
      else data[name] = form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').length ? [value] : value;
    });
    var file = form.elements.photo && form.elements.photo.files && form.elements.photo.files[0];
    return shrink(file).then(function (photo) {
      photo = photo || (before && before.photo) || null;
      if (photo) data.photo_follows = "1";  // sent after the record: it counts as its screenshot
      return {
        uuid: (before && before.uuid) || (form.elements.uuid && form.elements.uuid.value) || newUuid(),
        kind: form.dataset.offline,
        user_id: user,
        client_time: (before && before.client_time) || new Date().toISOString(),
        data: data,
        photo: photo,
        form_url: form.dataset.offlineUrl || location.pathname + location.search.replace(/[?&]draft=[^&]*/, ""),
        label: form.dataset.offlineLabel + (data.product ? " · " + data.product : ""),
        state: "waiting",
      };
    });
  }

  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    if (!user) return;
    var draft = new URLSearchParams(location.search).get("draft");
    var before = null;
    var uuid = form.elements.uuid && form.elements.uuid.value;
    if (draft) {
      kv.get(draft, entries).then(function (entry) {
        if (!entry || entry.user_id !== user) return;
        before = entry;
        fill(form, entry);
      });
    } else if (uuid) {  // the server sent this form back (a field to fix, a question): not lost
      settled.push(kv.get(uuid, entries).then(function (entry) {
        if (entry && entry.state === "sending" && entry.user_id === user) return kv.del(uuid, entries);
      }));
    }
    var backedUp = false;
    form.addEventListener("submit", function (event) {
      if (backedUp) return;  // the copy is on the phone: post as the form always has
      event.preventDefault();
      var submitter = event.submitter;
      entryFrom(form, before).then(function (entry) {
        if (navigator.onLine && !before) {
          // Online, the form posts as always; a copy waits on the phone until the server is
          // known to have it. If the connection drops mid-send, the copy is synced later —
          // exactly once, by its uuid; if the post arrived, the sync finds a duplicate.
          entry.state = "sending";
          return kv.set(entry.uuid, entry, entries).then(function () {
            backedUp = true;
            if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
          });
        }
        return kv.set(entry.uuid, entry, entries).then(function () {
          if (navigator.serviceWorker && navigator.serviceWorker.controller) {
            location.href = "/pending?saved=" + encodeURIComponent(entry.uuid);
          } else {  // no worker to show the waiting list offline: say so here
            var note = document.createElement("p");
            note.className = "flash success";
            note.setAttribute("role", "status");
            note.textContent = say("saved");
            form.parentNode.insertBefore(note, form);
            form.reset();
            if (form.elements.uuid) form.elements.uuid.value = newUuid();
            render();
          }
        });
      });
    });
  });

  function fill(form, entry) {
    Object.keys(entry.data).forEach(function (name) {
      var values = [].concat(entry.data[name]);
      form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
        if (input.hasAttribute("data-keep")) return;  // the page's own (the kind its form asks)
        if (input.type === "radio" || input.type === "checkbox") input.checked = values.indexOf(input.value) >= 0;
        else input.value = values[0];
      });
    });
    if (form.elements.uuid) form.elements.uuid.value = entry.uuid;
    var note = document.createElement("p");
    note.className = "flash info";
    note.textContent = say("draft") + (entry.photo ? " " + say("draft_photo") : "");
    form.insertBefore(note, form.firstChild);
    Object.keys(entry.errors || {}).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      var error = document.createElement("p");
      error.className = "error";
      error.setAttribute("role", "alert");
      error.textContent = entry.errors[name];
      (input ? input.closest(".field") || input.parentNode : form).appendChild(error);
    });
  }

  /* --- sending what waits ------------------------------------------------------------ */
  // Who the server says is logged in, and a fresh CSRF token: a kept page may be older than
  // the login. Only that person's entries are ever sent.
  function signedIn() {
    return fetch("/api/v1/session", { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : null;
    });
  }

  function sync() {
    if (!user || syncing || !navigator.onLine) return Promise.resolve();
    syncing = true;
    status(say("uploading"));
    var token = "", waiting = [];
    return all().then(function (list) {
      waiting = mine(list).filter(function (e) { return e.state === "waiting" || e.state === "sending"; });
      return waiting.length ? signedIn() : null;  // nothing waits: no request at all
    }).then(function (session) {
      if (!session || session.user_id !== user) return 0;  // someone else's: they wait
      token = session.csrf_token;
      return fetch("/api/v1/sync", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ entries: waiting.map(function (e) {
          return { uuid: e.uuid, kind: e.kind, user_id: e.user_id, client_time: e.client_time, data: e.data };
        }) }),
      }).then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      }).then(function (answer) {
        return answer.results.reduce(function (done, result, i) {
          return done.then(function (n) { return settle(waiting[i], result, token).then(function (sent) { return n + sent; }); });
        }, Promise.resolve(0));
      });
    }).then(function (sent) {
      if (token) localStorage.setItem("lms-synced-" + user, new Date().toISOString());
      syncing = false;
      return render(sent ? say("uploaded", sent) : "");
    }, function () {
      syncing = false;
      return render(say("failed"));
    });
  }

  function keepAs(entry, state, answer) {  // the server said no: kept for the person, with why
    entry.state = state;
    entry.errors = answer.errors || null;
    entry.message = answer.message || null;
    return kv.set(entry.uuid, entry, entries).then(function () { return 0; });
  }

  function settle(entry, result, token) {
    if (result.status === "rejected" || result.status === "conflict") return keepAs(entry, result.status, result);
    var arrived = entry.state === "sending" && result.status === "duplicate";  // by the form, photo too
    if (!entry.photo || arrived) return kv.del(entry.uuid, entries).then(function () { return arrived ? 0 : 1; });
    var form = new FormData();
    form.append("photo", entry.photo, "photo.jpg");
    return fetch("/api/v1/sync/photos/" + encodeURIComponent(entry.uuid), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": token }, body: form,
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok && answer.status !== "conflict") return kv.del(entry.uuid, entries).then(function () { return 1; });
        return keepAs(entry, response.ok ? "conflict" : "rejected", answer);
      });
    });  // a network failure keeps the entry: it is sent again, a duplicate, then its photo
  }

  /* --- what the person sees ---------------------------------------------------------- */
  function status(message) {
    var line = document.getElementById("sync-status");
    if (!line || !user) return;
    line.hidden = false;
    if (message) line.textContent = message;
  }

  function render(message) {
    return all().then(function (list) {
      var own = mine(list), others = list.length - own.length;
      var synced = localStorage.getItem("lms-synced-" + user);
      var line = document.getElementById("sync-status");
      if (line && user) {
        line.hidden = false;
        line.textContent = "";
        var link = document.createElement("a");
        link.href = "/pending";
        link.textContent = own.length ? say("waiting", own.length) : say("none");
        line.appendChild(link);
        line.appendChild(document.createTextNode(" · " + (synced ? say("last").replace("{t}", when(synced)) : say("never"))));
      }
      var page = document.getElementById("pending");
      if (page) showPending(page, own, others, message);
      else if (message && line) line.appendChild(document.createTextNode(" · " + message));
    });
  }

  function showPending(page, own, others, message) {
    var list = page.querySelector("ul");
    list.textContent = "";
    page.querySelector(".message").textContent = message || (new URLSearchParams(location.search).get("saved") ? say("saved") : "");
    page.querySelector(".empty").hidden = own.length > 0;
    page.querySelector(".others").hidden = !others;
    page.querySelector(".others").textContent = say("others", others);
    page.querySelector(".login").hidden = !!user;
    own.sort(function (a, b) { return a.client_time < b.client_time ? -1 : 1; }).forEach(function (entry) {
      var item = document.createElement("li");
      item.className = "entry " + entry.state;
      var title = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = entry.label;
      title.appendChild(strong);
      title.appendChild(document.createTextNode(" · " + when(entry.client_time) + " · " + say("state_" + (entry.state === "sending" ? "waiting" : entry.state))));
      item.appendChild(title);
      var problems = Object.values(entry.errors || {}).concat(entry.message ? [entry.message] : []);
      problems.forEach(function (problem) {
        var p = document.createElement("p");
        p.className = "error";
        p.textContent = problem;
        item.appendChild(p);
      });
      var actions = document.createElement("p");
      actions.className = "actions";
      if (entry.state !== "conflict") {
        var open = document.createElement("a");
        open.className = "button";
        open.href = entry.form_url + (entry.form_url.indexOf("?") >= 0 ? "&" : "?") + "draft=" + encodeURIComponent(entry.uuid);
        open.textContent = say("open");
        actions.appendChild(open);
      }
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button";
      discard.textContent = say("discard");
      discard.addEventListener("click", function () {
        if (window.confirm(say("confirm_discard"))) kv.del(entry.uuid, entries).then(function () { render(); });
      });
      actions.appendChild(discard);
      item.appendChild(actions);
      list.appendChild(item);
    });
    var button = page.querySelector("button.upload");
    button.hidden = !own.some(function (e) { return e.state === "waiting"; });
    button.onclick = function () {
      if (!navigator.onLine) return render(say("offline_now"));
      sync();
    };
  }

  window.addEventListener("online", sync);
  Promise.all(settled).then(function () { return render(); }).then(sync);
})();
