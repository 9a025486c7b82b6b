/* The coordinator calendar: FullCalendar fed by calendar/events.json, moves validated on the
 * server. Configuration comes from data- attributes (no inline script: the CSP forbids it).
 *
 * FullCalendar runs in "UTC" mode and the server sends clinic wall-clock times without an
 * offset, so the calendar shows clinic time whatever the browser's zone; the times it sends
 * back are read as clinic time too (see scheduling/selectors/calendar.py).
 *
 * While a visit is dragged, the days it may go to are shaded and the others dimmed, from the
 * server's allowed-days answer (drag_days.js; scheduling/selectors/allowed_days.py is the rule
 * the server's move follows too); a drop on a refused day goes back at once with the reason.
 * Closed days and the hours outside opening time are shaded always. Enter, a click or a tap
 * on a visit opens its details and the Move… dialog (move_dialog.js).
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
  var closedDays = {};
  (labels.closed || []).forEach(function (day) {
    closedDays[day] = true;
  });

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

  // Status is told by a symbol and words (and a border style, endoplan.css), never by colour
  // alone; the legend on the page shows the same. Colour stays the visit's kind.
  var STATUS_SYMBOLS = {
    tentative: "◌",
    booked: "●",
    confirmed: "✔",
    done: "☑",
    "no-show": "✕",
    cancelled: "⊘",
  };
  function statusPrefix(status, days, rebooking) {
    if (rebooking) return "⚠ Needs re-booking";
    var text = (STATUS_SYMBOLS[status] || "") + " " + (labels.statuses[status] || status);
    if (status === "tentative" && days) text += " ±" + days + " d";
    return text.trim();
  }

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
      var cycle = row[at.cycle] || "";
      var rebooking = row[at.rebooking] || "";
      var statusText = statusPrefix(status, days, rebooking);
      var title = statusText + " · " + (labels.kinds[kind] || kind) + " · " + row[at.patient];
      if (cycle) title += " · " + cycle;
      var classes = ["kind-" + kind, "status-" + status];
      if (status === "tentative") classes.push("is-tentative");
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
          statusText: statusText,
          uncertaintyDays: days,
          rebooking: rebooking,
          cycle: cycle,
          patient: row[at.patient],
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

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
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

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .catch(function () {
        return { error: "The server could not be reached." };
      });
  }

  // One move, from a drop or the Move… dialog: the same endpoint and service either way.
  // Resolves {ok: true} or {ok: false, error: sentence}.
  function postMove(id, start, end) {
    var body = { start: start };
    if (end) body.end = end;
    return fetch(config.moveUrl.replace("/0/", "/" + id + "/"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "The server did not answer (HTTP " + response.status + ")." };
        });
      })
      .catch(function () {
        return { error: "the server could not be reached." };
      })
      .then(function (data) {
        if (data.error || !data.ok) {
          return { ok: false, error: data.error || "the server refused the move." };
        }
        show(data.problems && data.problems.length ? "warning" : "success", data.message || "Moved.");
        forgetDays();
        calendar.refetchEvents();
        return { ok: true };
      });
  }

  // The drag shading and the browser's own refusals (drag_days.js).
  var drag = window.EndoplanDragDays({
    element: element,
    hint: document.getElementById("drag-hint"),
    allowedDaysUrl: config.allowedDaysUrl,
    opensAt: config.opensAt,
    closesAt: config.closesAt,
    getJson: getJson,
    wallTime: wallTime,
  });
  function forgetDays() {
    drag.forget();
  }

  function minutes(clock) {
    var parts = clock.split(":");
    return Number(parts[0]) * 60 + Number(parts[1]);
  }

  function move(info) {
    var why = drag.refusedHere(info.event, calendar.view);
    if (why) {
      info.revert();
      show("danger", "Not moved: " + why);
      return;
    }
    var end = info.event.end ? wallTime(info.event.end) : null;
    postMove(info.event.id, wallTime(info.event.start), end).then(function (result) {
      if (!result.ok) {
        info.revert();
        show("danger", "Not moved: " + result.error);
      }
    });
  }

  function describe(event) {
    var p = event.extendedProps;
    var parts = [event.title];
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
  function formatDay(date) {
    // "Tue 1 Dec 2026": Intl puts a comma after the weekday once the year is there.
    return dayFormat.format(date).replace(/^([^\s,]+),/, "$1");
  }
  function fullDay(info) {
    return formatDay(info.date.marker);
  }
  var timeFormat = new Intl.DateTimeFormat(config.locale || "en-gb", {
    hour: "2-digit",
    minute: "2-digit",
    hour12: hour12,
    timeZone: "UTC",
  });

  // An hour either side of opening time is shown, shaded as out of hours.
  function widen(clockText, hours) {
    var total = Math.min(24 * 60, Math.max(0, minutes(clockText) + hours * 60));
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return pad(Math.floor(total / 60)) + ":" + pad(total % 60) + ":00";
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
    slotMinTime: widen(config.opensAt, -1),
    slotMaxTime: widen(config.closesAt, 1),
    slotDuration: "00:15:00",
    allDaySlot: false,
    businessHours: {
      daysOfWeek: labels.openWeekdays || [1, 2, 3, 4, 5],
      startTime: config.opensAt,
      endTime: config.closesAt,
    },
    headerToolbar: {
      left: "prev,next today",
      center: "title",
      right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek",
    },
    buttonText: { today: "Today", month: "Month", week: "Week", day: "Day", list: "List" },
    editable: canMove,
    eventDurationEditable: canMove,
    eventInteractive: true, // each visit is focusable; Enter opens its details
    events: { url: config.eventsUrl, extraParams: filterParams },
    eventSourceSuccess: expand,
    eventDisplay: "block",
    dayCellClassNames: function (info) {
      return closedDays[isoDay(info.date)] ? ["closed-day"] : [];
    },
    dayHeaderClassNames: function (info) {
      return closedDays[isoDay(info.date)] ? ["closed-day"] : [];
    },
    dayCellDidMount: function (info) {
      // FullCalendar names a day cell by its number link ("December 27, 2026" for "27"),
      // which screen-reader checks flag as a label/content mismatch; the cell's text suffices.
      info.el.removeAttribute("aria-labelledby");
      if (closedDays[isoDay(info.date)]) info.el.setAttribute("title", "Clinic closed");
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
      if (canMove && info.event.startEditable !== false && movable[info.event.extendedProps.status]) {
        // Ask early, so the shading is there as soon as the drag starts.
        info.el.addEventListener("pointerenter", function () {
          drag.load(info.event, calendar.view);
        }, { once: true });
      }
    },
    eventDragStart: function (info) {
      drag.start(info.event, calendar.view);
    },
    eventDragStop: function () {
      drag.stop();
    },
    eventClick: function (info) {
      info.jsEvent.preventDefault();
      if (openDialog) {
        openDialog(info.event, info.el);
        return;
      }
      var p = info.event.extendedProps;
      window.location.assign(config.patientUrl.replace("/0/", "/" + p.patientId + "/"));
    },
    eventDrop: move,
    eventResize: move,
  });

  var openDialog = window.EndoplanMoveDialog
    ? window.EndoplanMoveDialog({
        canMove: canMove,
        movable: function (status) {
          return movable[status] === true;
        },
        kindLabel: function (kind) {
          return labels.kinds[kind] || kind;
        },
        describeWhen: function (event) {
          var text = formatDay(event.start) + ", " + timeFormat.format(event.start);
          if (event.end) text += " to " + timeFormat.format(event.end);
          return text;
        },
        getJson: getJson,
        postMove: function (id, start) {
          return postMove(id, start, null);
        },
        allowedDaysUrl: config.allowedDaysUrl,
        freeTimesUrl: config.freeTimesUrl,
        bookUrl: config.bookUrl,
        cancelUrl: config.cancelUrl,
        patientUrl: config.patientUrl,
      })
    : null;

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
