/* The coordinator calendar: FullCalendar fed by calendar/events.json, moves validated on the
 * server. Configuration comes from data- attributes (no inline script: the CSP forbids it).
 *
 * FullCalendar runs in "UTC" mode and the server sends clinic wall-clock times without an
 * offset, so the calendar shows clinic time whatever the browser's zone; the times it sends
 * back are read as clinic time too (see scheduling/selectors/calendar.py).
 */
(function () {
  "use strict";

  var element = document.getElementById("calendar");
  if (!element || !window.FullCalendar) {
    return;
  }
  var config = element.dataset;
  var filters = document.getElementById("calendar-filters");
  var alerts = document.getElementById("calendar-alerts");
  var labels = JSON.parse(document.getElementById("calendar-labels").textContent);
  var canMove = config.canMove === "true";
  var movable = { tentative: true, booked: true, confirmed: true };

  function optionNames(selectId) {
    var names = {};
    var select = document.getElementById(selectId);
    if (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        if (option.value) names[option.value] = option.textContent;
      });
    }
    return names;
  }
  var roomNames = optionNames("filter-room");
  var clinicianNames = optionNames("filter-clinician");

  // The feed sends {columns, rows} (compact); each row becomes a FullCalendar event here.
  function expand(content) {
    var at = {};
    content.columns.forEach(function (name, index) {
      at[name] = index;
    });
    return content.rows.map(function (row) {
      var kind = row[at.kind];
      var status = row[at.status];
      var days = row[at.uncertaintyDays];
      var tentative = status === "tentative";
      var cycle = row[at.cycle] || "";
      var title = (labels.kinds[kind] || kind) + " · " + row[at.patient];
      if (cycle) title += " · " + cycle;
      if (tentative) {
        title += days ? " (tentative ±" + days + " d)" : " (tentative)";
      }
      var rebooking = row[at.rebooking] || "";
      if (rebooking) title = "⚠ Needs re-booking · " + title;
      var classes = ["kind-" + kind, "status-" + status];
      if (tentative) classes.push("is-tentative");
      if (rebooking) classes.push("needs-rebooking");
      return {
        id: String(row[at.id]),
        title: title,
        start: row[at.start],
        end: row[at.end],
        color: labels.colours[kind] || "#495057",
        classNames: classes,
        editable: canMove && movable[status] === true,
        extendedProps: {
          kind: kind,
          status: status,
          statusLabel: labels.statuses[status] || status,
          uncertaintyDays: days,
          rebooking: rebooking,
          cycle: cycle,
          patientId: row[at.patientId],
          room: roomNames[row[at.roomId]] || "",
          clinician: clinicianNames[row[at.clinicianId]] || "",
        },
      };
    });
  }

  function wallTime(date) {
    // "2025-03-04T09:15:00.000Z" -> "2025-03-04T09:15:00": clinic wall-clock time.
    return date.toISOString().slice(0, 19);
  }

  function show(kind, text) {
    var alert = document.createElement("div");
    alert.className = "alert alert-" + kind + " alert-dismissible fade show";
    alert.setAttribute("role", kind === "danger" ? "alert" : "status");
    alert.dataset.testid = kind === "danger" ? "move-refused" : "move-saved";
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("aria-label", "Close");
    close.setAttribute("data-bs-dismiss", "alert");
    alert.appendChild(close);
    alerts.replaceChildren(alert);
  }

  function filterParams() {
    var params = {};
    if (!filters) {
      return params;
    }
    new FormData(filters).forEach(function (value, key) {
      if (value) {
        params[key] = value;
      }
    });
    return params;
  }

  function move(info) {
    var url = config.moveUrl.replace("/0/", "/" + info.event.id + "/");
    var body = { start: wallTime(info.event.start) };
    if (info.event.end) {
      body.end = wallTime(info.event.end);
    }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "The server did not answer (HTTP " + response.status + ")." };
        }).then(function (data) {
          if (!response.ok || data.error) {
            info.revert();
            show("danger", "Not moved: " + (data.error || "HTTP " + response.status));
          } else {
            show(data.problems && data.problems.length ? "warning" : "success", data.message || "Moved.");
            calendar.refetchEvents();
          }
        });
      })
      .catch(function () {
        info.revert();
        show("danger", "Not moved: the server could not be reached.");
      });
  }

  function describe(event) {
    var p = event.extendedProps;
    var parts = [event.title, p.statusLabel];
    if (p.room) parts.push("Room: " + p.room);
    if (p.clinician) parts.push("Clinician: " + p.clinician);
    if (p.uncertaintyDays) parts.push("Date uncertain by ±" + p.uncertaintyDays + " days");
    if (p.rebooking) parts.push("Why: " + p.rebooking);
    return parts.join(" · ");
  }

  // The clinic's conventions (scheduling/conventions.py), whatever the browser's: its locale
  // (FullCalendar's locale file is loaded before this script), first day of the week and
  // clock; days as "Tue 1 Dec 2026".
  var hour12 = config.hour12 === "true";
  var clock = { hour: "2-digit", minute: "2-digit", hour12: hour12 };
  var shortDay = { weekday: "short", day: "numeric", month: "short" };
  var dayFormat = new Intl.DateTimeFormat(config.locale || "en-gb", {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC", // FullCalendar's dates are UTC-coerced clinic days
  });
  function fullDay(info) {
    // "Tue 1 Dec 2026": Intl puts a comma after the weekday once the year is there.
    return dayFormat.format(info.date.marker).replace(/^([^\s,]+),/, "$1");
  }

  var calendar = new FullCalendar.Calendar(element, {
    timeZone: "UTC",
    locale: config.locale || "en-gb",
    initialView: config.initialView || "timeGridWeek",
    initialDate: config.initialDate || undefined,
    firstDay: Number(config.firstDay || 1),
    eventTimeFormat: clock,
    slotLabelFormat: clock,
    dayHeaderFormat: shortDay,
    views: {
      dayGridMonth: { dayHeaderFormat: { weekday: "short" } },
      timeGridDay: { titleFormat: fullDay },
      listWeek: { listDayFormat: fullDay, listDaySideFormat: false },
    },
    nowIndicator: true,
    height: "auto",
    slotMinTime: config.opensAt,
    slotMaxTime: config.closesAt,
    slotDuration: "00:15:00",
    allDaySlot: false,
    headerToolbar: {
      left: "prev,next today",
      center: "title",
      right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek",
    },
    buttonText: { today: "Today", month: "Month", week: "Week", day: "Day", list: "List" },
    editable: canMove,
    eventDurationEditable: canMove,
    events: { url: config.eventsUrl, extraParams: filterParams },
    eventSourceSuccess: expand,
    eventDisplay: "block",
    dayCellDidMount: function (info) {
      // FullCalendar names a day cell by its number link ("December 27, 2026" for "27"),
      // which screen-reader checks flag as a label/content mismatch; the cell's text suffices.
      info.el.removeAttribute("aria-labelledby");
    },
    datesSet: function () {
      element.querySelectorAll(".fc-icon").forEach(function (icon) {
        icon.setAttribute("aria-hidden", "true");
      });
    },
    eventDidMount: function (info) {
      info.el.dataset.testid = "event-" + info.event.id;
      info.el.dataset.status = info.event.extendedProps.status;
      info.el.setAttribute("title", describe(info.event));
      info.el.setAttribute("aria-label", describe(info.event));
    },
    eventClick: function (info) {
      var p = info.event.extendedProps;
      var canBook = canMove && p.status === "tentative";
      var template = canBook ? config.bookUrl : config.patientUrl;
      var id = canBook ? info.event.id : p.patientId;
      window.location.assign(template.replace("/0/", "/" + id + "/"));
    },
    eventDrop: move,
    eventResize: move,
  });
  calendar.render();
  element.calendar = calendar;

  if (filters) {
    filters.addEventListener("change", function () {
      calendar.refetchEvents();
    });
    filters.addEventListener("submit", function (event) {
      event.preventDefault();
      calendar.refetchEvents();
    });
  }
})();
