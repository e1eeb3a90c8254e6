// Hover: the step under the pointer and each run's nearest value. Data come from the JSON block beside each chart.
(function () {
  "use strict";
  function nearest(steps, step) {
    var lo = 0, hi = steps.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (steps[mid] < step) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(steps[lo - 1] - step) <= Math.abs(steps[lo] - step)) lo -= 1;
    return lo;
  }
  function fmt(v) {
    if (v === null) return "NaN/Inf";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return String(Number(v.toPrecision(5)));
  }
  function attach(figure) {
    var svg = figure.querySelector("svg.chart");
    var blob = figure.querySelector("script[type='application/json']");
    var tip = figure.querySelector(".tip");
    if (!svg || !blob || !tip) return;
    var data = JSON.parse(blob.textContent);
    var plot = svg.getAttribute("data-plot").split(" ").map(Number);
    var x0 = Number(svg.getAttribute("data-x0")), x1 = Number(svg.getAttribute("data-x1"));
    var ns = "http://www.w3.org/2000/svg";
    var cursor = document.createElementNS(ns, "line");
    cursor.setAttribute("class", "cursor");
    cursor.setAttribute("y1", plot[1]);
    cursor.setAttribute("y2", plot[1] + plot[3]);
    cursor.style.display = "none";
    svg.appendChild(cursor);
    svg.addEventListener("mousemove", function (event) {
      var box = svg.getBoundingClientRect();
      var scale = box.width / svg.viewBox.baseVal.width;
      var sx = (event.clientX - box.left) / scale;
      if (sx < plot[0] || sx > plot[0] + plot[2]) { tip.style.display = "none"; cursor.style.display = "none"; return; }
      var step = x0 + (sx - plot[0]) / plot[2] * (x1 - x0);
      var rows = [];
      var shown = null;
      data.lines.forEach(function (line) {
        var i = nearest(line.s, step);
        if (i < 0) return;
        if (shown === null) shown = line.s[i];
        rows.push((data.lines.length > 1 ? line.label + ": " : "") + fmt(line.v[i]) + (data.lines.length > 1 ? " @ " + line.s[i].toLocaleString() : ""));
      });
      if (shown === null) return;
      tip.textContent = "";
      var head = document.createElement("div");
      head.textContent = "step " + shown.toLocaleString();
      tip.appendChild(head);
      rows.forEach(function (text) { var d = document.createElement("div"); d.textContent = text; tip.appendChild(d); });
      cursor.setAttribute("x1", sx); cursor.setAttribute("x2", sx); cursor.style.display = "";
      tip.style.display = "block";
      var left = event.clientX - figure.getBoundingClientRect().left + 12;
      tip.style.left = Math.min(left, figure.clientWidth - tip.offsetWidth) + "px";
      tip.style.top = (event.clientY - figure.getBoundingClientRect().top + 12) + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.style.display = "none"; cursor.style.display = "none"; });
    figure.setAttribute("data-ready", "1");
  }
  document.querySelectorAll("figure.metric").forEach(attach);
  document.body.setAttribute("data-charts-ready", String(document.querySelectorAll("figure.metric[data-ready]").length));
})();
