// Keeps relative times ("3 小时前" / "3 hours ago") current on pages served from the cache: every
// <time datetime=... data-relative> is rewritten from its instant; the absolute time stays in its title.
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  var words = {
    zh: {day: "天", hour: "小时", minute: "分钟", ago: "前", ahead: "后", now: "刚刚"},
    en: {day: "day", hour: "hour", minute: "minute", now: "just now"}
  };

  function text(seconds) {
    var ahead = seconds < 0, s = Math.abs(seconds), w = zh ? words.zh : words.en;
    if (s >= 7 * 86400) return null;
    if (s < 60) return w.now;
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(s / units[i][1]);
      if (n >= 1) {
        var unit = units[i][0];
        if (zh) return n + " " + w[unit] + (ahead ? w.ahead : w.ago);
        var word = n + " " + w[unit] + (n === 1 ? "" : "s");
        return ahead ? "in " + word : word + " ago";
      }
    }
    return null;
  }

  function refresh() {
    var now = Date.now();
    document.querySelectorAll("time[data-relative]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      var shown = text((now - at) / 1000);
      el.textContent = shown === null ? el.getAttribute("title") : shown;
    });
  }

  refresh();
  setInterval(refresh, 60000);
})();
