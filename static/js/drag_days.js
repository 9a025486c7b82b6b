/* While a visit is dragged on the calendar: the days it may go to shaded, the others dimmed
 * with why (each refused cell's title, and a polite live region listing the allowed days).
 *
 * The days come from the server's allowed-days answer for the visible range
 * (scheduling/selectors/allowed_days.py: the rule the server's move follows too), asked once per
 * visit and range. A drop on a day known to be refused, or outside opening hours in a time
 * grid, is refused here with the reason before anything is sent.
 *
 * calendar.js calls window.EndoplanDragDays(options) once and gets back
 * {load, start, stop, forget, refusedHere}.
 */
(function () {
  "use strict";

  var DAY_CELLS =
    "td.fc-daygrid-day[data-date], td.fc-timegrid-col[data-date], th.fc-col-header-cell[data-date]";

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  function minutes(clock) {
    var parts = clock.split(":");
    return Number(parts[0]) * 60 + Number(parts[1]);
  }

  window.EndoplanDragDays = function (options) {
    var element = options.element;
    var hint = options.hint;
    var dayAnswers = {};
    var knownDays = {};
    var dragging = null;

    function forget() {
      dayAnswers = {};
      knownDays = {};
    }

    function load(event, view) {
      var start = isoDay(view.activeStart);
      var end = isoDay(view.activeEnd);
      var key = event.id + "|" + start + "|" + end;
      if (!dayAnswers[key]) {
        var url = options.allowedDaysUrl.replace("/0/", "/" + event.id + "/");
        dayAnswers[key] = options
          .getJson(url + "?start=" + start + "&end=" + end)
          .then(function (answer) {
            var byDay = {};
            (answer.days || []).forEach(function (day) {
              byDay[day.date] = day;
            });
            knownDays[event.id] = Object.assign(knownDays[event.id] || {}, byDay);
            return byDay;
          });
      }
      return dayAnswers[key];
    }

    function shade(byDay) {
      var allowed = [];
      element.querySelectorAll(DAY_CELLS).forEach(function (cell) {
        var day = byDay[cell.dataset.date];
        if (!day) return;
        cell.classList.add(day.allowed ? "drag-allowed" : "drag-refused");
        if (!day.allowed) {
          cell.setAttribute("title", day.why);
        } else if (allowed.indexOf(day.label) < 0) {
          allowed.push(day.label);
        }
      });
      element.classList.add("is-dragging");
      if (hint) {
        hint.textContent = allowed.length
          ? "Allowed days (shaded): " + allowed.join(", ") + "."
          : "No day in view is allowed for this visit.";
      }
    }

    function unshade() {
      element.classList.remove("is-dragging");
      element.querySelectorAll(".drag-allowed, .drag-refused").forEach(function (cell) {
        cell.classList.remove("drag-allowed", "drag-refused");
        if (cell.classList.contains("closed-day")) {
          cell.setAttribute("title", "Clinic closed");
        } else {
          cell.removeAttribute("title");
        }
      });
      if (hint) hint.textContent = "";
    }

    // Why a drop is refused before anything is sent ("" when the server decides).
    function refusedHere(event, view) {
      var start = options.wallTime(event.start);
      var day = (knownDays[event.id] || {})[start.slice(0, 10)];
      if (day && !day.allowed) {
        return day.why;
      }
      if (view.type.indexOf("timeGrid") === 0 && event.end) {
        var end = options.wallTime(event.end);
        if (
          start.slice(0, 10) !== end.slice(0, 10) ||
          minutes(start.slice(11, 16)) < minutes(options.opensAt) ||
          minutes(end.slice(11, 16)) > minutes(options.closesAt)
        ) {
          return (
            "The clinic is open " + options.opensAt + " to " + options.closesAt +
            "; the visit must fit inside those hours."
          );
        }
      }
      return "";
    }

    return {
      forget: forget,
      load: load,
      refusedHere: refusedHere,
      start: function (event, view) {
        dragging = event.id;
        load(event, view).then(function (byDay) {
          if (dragging === event.id) shade(byDay);
        });
      },
      stop: function () {
        dragging = null;
        unshade();
      },
    };
  };
})();
