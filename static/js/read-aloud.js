// 读给我听: the lesson read aloud by the phone's own speech engine, a paragraph at a time (long
// utterances are cut short by some engines). Progressive enhancement: without script, or on a
// phone with no speech engine, the button stays hidden and the page is the same.
(function () {
  "use strict";
  var button = document.querySelector("[data-read-aloud]");
  if (!button || !("speechSynthesis" in window) || !window.SpeechSynthesisUtterance) return;
  var synth = window.speechSynthesis;
  var readLabel = button.textContent;
  var stopLabel = button.getAttribute("data-stop");
  var reading = false;

  function stopped() {
    reading = false;
    button.textContent = readLabel;
    button.setAttribute("aria-pressed", "false");
  }

  function paragraphs() {
    var text = document.querySelector(button.getAttribute("data-read-aloud"));
    if (!text) return [];
    return text.innerText.split(/\n+/).map(function (line) { return line.trim(); })
      .filter(function (line) { return line; });
  }

  button.addEventListener("click", function () {
    synth.cancel();
    if (reading) { stopped(); return; }
    var lines = paragraphs();
    if (!lines.length) return;
    lines.forEach(function (line, i) {
      var utterance = new window.SpeechSynthesisUtterance(line);
      utterance.lang = button.getAttribute("data-lang");
      utterance.rate = 0.9; // a little slower than the engine's default
      if (i === lines.length - 1) utterance.onend = stopped;
      utterance.onerror = stopped;
      synth.speak(utterance);
    });
    reading = true;
    button.textContent = stopLabel;
    button.setAttribute("aria-pressed", "true");
  });
  window.addEventListener("pagehide", function () { synth.cancel(); });
  button.parentNode.hidden = false;
})();
