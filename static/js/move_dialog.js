/* A visit's details and its "Move…" dialog: the keyboard and touch alternative to dragging.
 *
 * Enter (or a click or tap) on a calendar visit opens a modal <dialog> with the visit's details
 * and its actions. "Move…" lists the days the visit may go to (the server's allowed-days answer,
 * the same rule a drag and the appointment service follow) and, for the chosen day, the free
 * times with their room and clinician; choosing one moves the visit through the same endpoint
 * a drag uses. The dialog is labelled by its heading, keeps Tab inside itself and closes on
 * Escape; focus goes back to the visit it came from.
 *
 * calendar.js calls window.EndoplanMoveDialog(options) once and gets back open(event).
 */
(function () {
  "use strict";

  window.EndoplanMoveDialog = function (options) {
    var dialog = document.getElementById("event-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      return null;
    }
    var title = dialog.querySelector("#event-dialog-title");
    var details = dialog.querySelector("[data-part=details]");
    var facts = dialog.querySelector("[data-part=facts]");
    var moveButton = dialog.querySelector("[data-action=move]");
    var bookLink = dialog.querySelector("[data-action=book]");
    var patientLink = dialog.querySelector("[data-action=patient]");
    var cancelLink = dialog.querySelector("[data-action=cancel]");
    var movePart = dialog.querySelector("[data-part=move]");
    var dayList = dialog.querySelector("[data-part=days]");
    var timeList = dialog.querySelector("[data-part=times]");
    var status = dialog.querySelector("[data-part=status]");
    var refusedList = dialog.querySelector("[data-part=refused]");
    var confirmButton = dialog.querySelector("[data-action=confirm-move]");
    var current = null;
    var returnFocus = null;

    function url(template, id) {
      return template.replace("/0/", "/" + id + "/");
    }

    function say(text) {
      status.textContent = text;
    }

    function focusables() {
      return Array.prototype.filter.call(
        dialog.querySelectorAll("button, a[href], input, select, textarea, [tabindex]"),
        function (node) {
          return !node.disabled && node.tabIndex >= 0 && node.offsetParent !== null;
        }
      );
    }

    // A modal dialog makes the page behind it inert; Tab also wraps inside it rather than
    // leaving for the browser's own controls.
    dialog.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") return;
      var nodes = focusables();
      if (!nodes.length) return;
      var first = nodes[0];
      var last = nodes[nodes.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    dialog.addEventListener("close", function () {
      current = null;
      if (returnFocus && document.body.contains(returnFocus)) {
        returnFocus.focus();
      }
    });
    dialog.querySelectorAll("[data-action=close]").forEach(function (button) {
      button.addEventListener("click", function () {
        dialog.close();
      });
    });

    function fact(term, value) {
      if (!value) return;
      var dt = document.createElement("dt");
      dt.className = "col-4";
      dt.textContent = term;
      var dd = document.createElement("dd");
      dd.className = "col-8 mb-1";
      dd.textContent = value;
      facts.append(dt, dd);
    }

    function showDetails(event) {
      var p = event.extendedProps;
      title.textContent = (options.kindLabel(p.kind) || "Visit") + " · " + p.patient;
      facts.replaceChildren();
      fact("Status", p.statusText);
      fact("When", options.describeWhen(event));
      fact("Cycle", p.cycle);
      fact("Room", p.room);
      fact("Clinician", p.clinician);
      fact("Why", p.rebooking);
      var movable = options.canMove && options.movable(p.status);
      moveButton.hidden = !movable;
      bookLink.hidden = !(options.canMove && p.status === "tentative");
      bookLink.href = url(options.bookUrl, event.id);
      cancelLink.hidden = !movable;
      cancelLink.href = url(options.cancelUrl, event.id) + "?next=" + encodeURIComponent(location.pathname + location.search);
      patientLink.href = url(options.patientUrl, p.patientId);
      details.hidden = false;
      movePart.hidden = true;
    }

    function radio(name, value, text, onChoose) {
      var id = name + "-" + value.replace(/[^0-9A-Za-z]/g, "");
      var wrap = document.createElement("div");
      wrap.className = "form-check";
      var input = document.createElement("input");
      input.type = "radio";
      input.className = "form-check-input";
      input.name = name;
      input.id = id;
      input.value = value;
      input.addEventListener("change", function () {
        if (input.checked) onChoose(value);
      });
      var label = document.createElement("label");
      label.className = "form-check-label";
      label.htmlFor = id;
      label.textContent = text;
      wrap.append(input, label);
      return wrap;
    }

    function chooseDay(day) {
      timeList.replaceChildren();
      confirmButton.disabled = true;
      say("Looking for free times…");
      options
        .getJson(url(options.freeTimesUrl, current.id) + "?day=" + day)
        .then(function (answer) {
          if (!current) return;
          if (!answer.times || !answer.times.length) {
            say(answer.why || answer.error || "No free time that day.");
            return;
          }
          answer.times.forEach(function (time) {
            var text = time.label + " · " + time.rooms.join(" or ") + " · " + time.clinicians.join(" or ");
            timeList.append(
              radio("move-time", time.start, text, function () {
                confirmButton.disabled = false;
              })
            );
          });
          say(answer.times.length + " free time(s) on the chosen day.");
        });
    }

    function showMove() {
      details.hidden = true;
      movePart.hidden = false;
      dayList.replaceChildren();
      timeList.replaceChildren();
      refusedList.replaceChildren();
      confirmButton.disabled = true;
      say("Looking for the days this visit may go to…");
      options.getJson(url(options.allowedDaysUrl, current.id)).then(function (answer) {
        if (!current) return;
        var allowed = (answer.days || []).filter(function (day) {
          return day.allowed;
        });
        allowed.forEach(function (day) {
          var text = day.label + (day.date === answer.current ? " (now)" : "");
          dayList.append(radio("move-day", day.date, text, chooseDay));
        });
        (answer.days || [])
          .filter(function (day) {
            return !day.allowed;
          })
          .slice(0, 14)
          .forEach(function (day) {
            var item = document.createElement("li");
            item.textContent = day.label + ": " + day.why;
            refusedList.append(item);
          });
        say(
          allowed.length
            ? allowed.length + " day(s) allowed; choose one, then a time."
            : answer.error || "No day is allowed for this visit from today on."
        );
        var first = dayList.querySelector("input");
        (first || dialog.querySelector("[data-action=back]")).focus();
      });
    }

    moveButton.addEventListener("click", showMove);
    dialog.querySelector("[data-action=back]").addEventListener("click", function () {
      showDetails(current);
      moveButton.focus();
    });
    confirmButton.addEventListener("click", function () {
      var chosen = timeList.querySelector("input:checked");
      if (!chosen || !current) return;
      confirmButton.disabled = true;
      var event = current;
      options.postMove(event.id, chosen.value).then(function (result) {
        if (result.ok) {
          dialog.close();
        } else {
          say("Not moved: " + result.error);
          confirmButton.disabled = false;
        }
      });
    });

    return function open(event, from) {
      current = event;
      returnFocus = from || null;
      showDetails(event);
      dialog.showModal();
      (moveButton.hidden ? patientLink : moveButton).focus();
    };
  };
})();
