// chrono's HTML report: draws the stories embedded as JSON in #chrono-data.
// Every piece of recorded data reaches the page through textContent, title or Option text,
// never through innerHTML, so a value that holds markup shows as the text it is.
(function () {
  "use strict";

  var page = JSON.parse(document.getElementById("chrono-data").textContent);
  var stories = page.stories || [];
  var paths = page.paths || {}; // file -> as its reader knows it (relative)
  var allRows = []; // {event row, dot, story index, test, lane, site, haystack}
  var storyViews = []; // {section, count element, rows, total}
  var divergenceCount = 0; // ids for the divergence tables' descriptions
  var controls = {};

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function duration(nanoseconds) {
    var milliseconds = nanoseconds / 1e6;
    if (milliseconds < 1000) return milliseconds.toFixed(3) + "ms";
    return (milliseconds / 1000).toFixed(3) + "s";
  }

  // A story's time as the program lived it (as chrono._own_time.ProgramClock): nanoseconds
  // since the story began, less chrono's own work before that moment (story.chrono_spans:
  // [start, end] pairs, in order, not overlapping). Events keep the true clock.
  function programClock(story) {
    var spans = story.chrono_spans || [];
    function elapsed(monotonic) {
      var own = 0;
      spans.forEach(function (span) {
        if (span[0] < monotonic) own += Math.min(span[1], monotonic) - span[0];
      });
      return Math.max(monotonic - story.started_ns - own, 0);
    }
    return elapsed;
  }

  // The suspect lines --chrono-why ranked (story.suspect_lines), best first: each with its
  // score, counts and source, and the values it read when the failing test ran again beside a
  // passing one. Lines past the cut that tie with the last one shown are named in one line.
  function suspectLines(lines) {
    var box = element("div", "suspect-lines");
    var first = lines[0];
    box.appendChild(
      element(
        "p",
        "suspect-lines-head",
        "Suspect lines, ranked by " + first.formula + " over " + first.failing_total + " failing and " +
          first.passing_total + " passing tests (coverage.py)"
      )
    );
    var list = element("ol", "suspects");
    var tied = [];
    lines.forEach(function (line) {
      if (line.shown === false) {
        tied.push(line.file + ":" + line.line);
        return;
      }
      var item = element("li", "suspect");
      item.appendChild(element("span", "suspect-rank", String(line.rank)));
      item.appendChild(element("span", "site", " " + line.file + ":" + line.line + " "));
      item.appendChild(element("code", "predicate", line.source));
      item.appendChild(
        document.createTextNode(
          " in " + line.failing + " of " + line.failing_total + " failing, " + line.passing + " of " +
            line.passing_total + " passing "
        )
      );
      item.appendChild(element("span", "score", "(" + line.formula + " " + line.score.toFixed(2) + ")"));
      var failing = line.values.failing, passing = line.values.passing;
      var names = Object.keys(failing);
      Object.keys(passing).forEach(function (name) {
        if (names.indexOf(name) < 0) names.push(name);
      });
      if (names.length) {
        var table = element("table", "line-values");
        var head = element("tr");
        ["read", "failing", "passing"].forEach(function (title) {
          head.appendChild(element("th", null, title));
        });
        table.appendChild(head);
        names.forEach(function (name) {
          var row = element("tr");
          row.appendChild(element("td", "name", name));
          [failing, passing].forEach(function (side) {
            var values = side[name];
            var cell = element("td", "value", values ? values.join(" → ") : "–");
            if (values && comparable(failing[name]) !== comparable(passing[name])) cell.classList.add("differs");
            row.appendChild(cell);
          });
          table.appendChild(row);
        });
        item.appendChild(table);
      }
      list.appendChild(item);
    });
    box.appendChild(list);
    if (tied.length) box.appendChild(element("p", "suspect-lines-tied", "Tied with #" + (lines.length - tied.length) + ": " + tied.join(", ")));
    return box;
  }

  // Values as compared: memory addresses differ from run to run by nature, not by the bug.
  function comparable(values) {
    return JSON.stringify((values || []).map(function (value) {
      return value.replace(/\b0x[0-9a-fA-F]+\b/g, "0x…");
    }));
  }

  function shortPath(path) {
    return Object.prototype.hasOwnProperty.call(paths, path) ? paths[path] : path;
  }

  function siteOf(event) {
    var path = shortPath(event.file);
    if (path.indexOf("Cell In[") === 0) {
      // An IPython cell, as IPython's tracebacks write it (chrono._sites.site_text).
      var place = path + ", line " + event.line;
      return event.function === "<module>" ? place : place + " in " + event.function;
    }
    return path + ":" + event.line + " in " + event.function;
  }

  // Names only kept events beside the gap: a bound of 1 keeps none before it.
  function droppedText(dropped, before, after) {
    var where = "";
    if (before !== null && after !== null) where = " here, between #" + before + " and #" + after;
    else if (before !== null) where = " here, after #" + before;
    else if (after !== null) where = " here, before #" + after;
    return "⋯ " + count(dropped, "event") + " dropped" + where + " ⋯";
  }

  function laneOf(event) {
    return event.task ? event.thread + " / " + event.task : event.thread;
  }

  function testOf(story) {
    return story.test ? story.test.id : story.name || "(unnamed story)";
  }

  function contentText(event) {
    var parts = event.label !== null && event.label !== undefined ? [event.label] : [];
    event.items.forEach(function (item) {
      parts.push(item[0] === item[1] ? item[1] : item[0] + "=" + item[1]);
    });
    return parts.length ? parts.join(", ") : "reached";
  }

  function contentCell(event) {
    return fillContent(element("td", "what"), event, []);
  }

  // What an event says, into ``cell``; the values of the items at ``differing`` are marked
  // (where a comparison found them to differ from the other side's).
  function fillContent(cell, event, differing) {
    function value(text, index) {
      if (differing.indexOf(index) < 0) return element("span", "value", text);
      var mark = element("mark", "value differs", text);
      mark.title = "differs from the other side";
      return mark;
    }
    if (event.kind === "log") {
      cell.appendChild(element("span", "level level-" + event.label, event.label || "LOG"));
      event.items.forEach(function (item, index) {
        cell.appendChild(document.createTextNode(" "));
        cell.appendChild(element("span", "logger", item[0] + ":"));
        cell.appendChild(document.createTextNode(" "));
        var message = value(item[1], index);
        message.classList.add("log-message");
        cell.appendChild(message);
      });
      return cell;
    }
    if (event.label !== null && event.label !== undefined) {
      cell.appendChild(element("span", "label", event.label));
    }
    event.items.forEach(function (item, index) {
      if (index || cell.childNodes.length) cell.appendChild(element("span", "comma", index ? ", " : " "));
      if (item[0] !== item[1]) {
        cell.appendChild(element("span", "name", item[0]));
        cell.appendChild(element("span", "equals", "="));
      }
      cell.appendChild(value(item[1], index));
    });
    if (!cell.childNodes.length) cell.appendChild(element("span", "marker", "reached"));
    return cell;
  }

  // -- where a story diverged from a passing one (story.divergences) -----------------------

  // "1 event", "2 events"; plural where adding an s is wrong: count(n, "story", "stories").
  function count(number, noun, plural) {
    return number.toLocaleString("en") + " " + (number === 1 ? noun : plural || noun + "s");
  }

  function divergenceTitle(comparison) {
    var when = comparison.when ? new Date(comparison.when * 1000).toLocaleString() : "time unknown";
    if (comparison.compared_with === "sibling" || comparison.compared_with === "other-test") {
      return ["Where it diverged from ", comparison.test, " (passed in this run)"];
    }
    if (comparison.compared_with === "sibling-last-pass") {
      return ["Where it diverged from ", comparison.test, " (as it last passed, " + when + ")"];
    }
    if (comparison.compared_with === "last-pass") {
      return ["Where it diverged from its last pass (" + when + ")"];
    }
    return ["Where the failing attempt diverged from the passing rerun"];
  }

  function differingNames(pair) {
    var event = pair.a || pair.b;
    return pair.differing.map(function (index) {
      return event.kind === "log" ? "message" : event.items[index][0];
    }).join(", ");
  }

  // The same sentences as the terminal's (chrono.render's divergence layout).
  function divergenceSummary(divergence) {
    var a = divergence.a;
    var b = divergence.b;
    var both = a.name + " and " + b.name;
    if (divergence.same) return both + " ran alike: " + count(a.events, "event") + ", the same call sites and values.";
    var totals = "(of " + a.events.toLocaleString("en") + " and " + b.events.toLocaleString("en") + ")";
    if (!divergence.shared) return both + " differ from their first event " + totals + ".";
    var shared = divergence.shared === 1 ? "event" : count(divergence.shared, "event");
    return both + " share their first " + shared + " " + totals + ".";
  }

  // What kind of difference a pair is; "ended" speaks of the first difference only.
  function kindWords(pair, divergence, ended) {
    if (pair.kind === "data") {
      return "The data diverged: same call site, other values (" + differingNames(pair) + ").";
    }
    if (pair.a && pair.b) return "The control flow diverged: another call site.";
    var ranOn = pair.a ? divergence.a.name : divergence.b.name;
    return ended && divergence.ended
      ? "The control flow diverged: " + divergence.ended + " ended here, " + ranOn + " ran on."
      : "The control flow diverged: " + ranOn + " ran more here.";
  }

  function divergenceKind(divergence) {
    var first = divergence.first;
    var text = divergence.after_input || divergence.only_input
      ? "They differ first by input: same call site, other values (" + differingNames(first) + ")."
      : kindWords(first, divergence, true);
    var atGap = [divergence.a, divergence.b].filter(function (side) {
      return side.gaps.indexOf(divergence.shared) >= 0;
    });
    if (atGap.length) {
      text += " Just before it, " + atGap.map(function (side) { return side.name; }).join(" and ") + " dropped events.";
    }
    return text;
  }

  function pairCell(event, pair, ended) {
    var cell = element("td", "side");
    if (!event) {
      cell.appendChild(element("span", "marker", ended ? "(ended)" : "(nothing here)"));
      return cell;
    }
    var head = element("div", "side-head");
    head.appendChild(element("span", "seq", "#" + event.seq));
    head.appendChild(document.createTextNode(" "));
    var site = element("span", "site", siteOf(event));
    site.title = event.file + ":" + event.line;
    head.appendChild(site);
    cell.appendChild(head);
    cell.appendChild(fillContent(element("div", "what"), event, pair.differing));
    return cell;
  }

  function pairRow(pair, divergence, first) {
    var row = element("tr", "pair pair-" + pair.kind + (first ? " first" : ""));
    row.appendChild(pairCell(pair.a, pair, divergence.ended === divergence.a.name));
    row.appendChild(pairCell(pair.b, pair, divergence.ended === divergence.b.name));
    return row;
  }

  function sideHeading(side, role, badge) {
    var heading = element("th");
    heading.scope = "col";
    heading.appendChild(element("span", "badge badge-" + badge, role));
    heading.appendChild(document.createTextNode(" "));
    heading.appendChild(element("span", "test-id", side.name));
    return heading;
  }

  function buildDivergence(comparison) {
    var divergence = comparison.divergence;
    var section = element("section", "divergence divergence-" + comparison.compared_with);
    var title = element("h3");
    divergenceTitle(comparison).forEach(function (part, index) {
      title.appendChild(index === 1 ? element("span", "test-id", part) : document.createTextNode(part));
    });
    section.setAttribute("aria-label", title.textContent);
    section.appendChild(title);
    if (comparison.reason) section.appendChild(element("p", "divergence-reason", comparison.reason));
    var summary = element("p", "divergence-summary", divergenceSummary(divergence));
    section.appendChild(summary);
    var dropped = [divergence.a, divergence.b].filter(function (side) {
      return side.dropped;
    });
    if (dropped.length) {
      var note = dropped.map(function (side) { return side.name + " " + count(side.dropped, "event"); }).join(" and ");
      section.appendChild(element("p", "divergence-note", "Not kept, so not compared: " + note + "; what they share counts kept events only."));
    }
    if (!divergence.first) return section;
    var kind = element("p", "divergence-kind kind-" + divergence.first.kind, divergenceKind(divergence));
    kind.id = "divergence-kind-" + ++divergenceCount;
    section.appendChild(kind);

    var table = element("table", "divergence-pairs");
    table.setAttribute("aria-describedby", kind.id);
    var head = element("thead");
    var headRow = element("tr");
    headRow.appendChild(sideHeading(divergence.a, "failing", "failed"));
    headRow.appendChild(sideHeading(divergence.b, "passed", "passed"));
    head.appendChild(headRow);
    table.appendChild(head);
    var body = element("tbody", "first-pair");
    body.appendChild(pairRow(divergence.first, divergence, true));
    table.appendChild(body);
    if (divergence.after_input || divergence.only_input) {
      // The first difference is the test's input: what differs past it, or that nothing does.
      var past = element("tbody", "after-input");
      var words = divergence.after_input
        ? "Past the input, " + kindWords(divergence.after_input, divergence, false).replace(/^T/, "t")
        : "After it they differ only by input: the same calls ran, and no condition (True or False) went the other way.";
      var note = element("tr", "then");
      var noteCell = element("th", null, words);
      noteCell.colSpan = 2;
      noteCell.scope = "colgroup";
      note.appendChild(noteCell);
      past.appendChild(note);
      if (divergence.after_input) past.appendChild(pairRow(divergence.after_input, divergence, true));
      table.appendChild(past);
    }
    if (divergence.context.length) {
      var context = element("tbody", "context");
      var then = element("tr", "then");
      var thenCell = element("th", null, "then:");
      thenCell.colSpan = 2;
      thenCell.scope = "colgroup";
      then.appendChild(thenCell);
      context.appendChild(then);
      divergence.context.forEach(function (pair) {
        context.appendChild(pairRow(pair, divergence, false));
      });
      table.appendChild(context);
    }
    section.appendChild(table);

    var onlyIn = element("ul", "only-in");
    [[divergence.a, divergence.only_in_a], [divergence.b, divergence.only_in_b]].forEach(function (entry) {
      entry[1].forEach(function (site) {
        var line = element("li", null, "ran only in " + entry[0].name + ": ");
        var where = element("span", "site", siteOf(site));
        where.title = site.file + ":" + site.line;
        line.appendChild(where);
        line.appendChild(element("span", "hits", " ×" + site.count.toLocaleString("en")));
        onlyIn.appendChild(line);
      });
    });
    if (onlyIn.childNodes.length) section.appendChild(onlyIn);
    return section;
  }

  function kindClass(event) {
    if (event.kind === "log") return "kind-log level-" + event.label;
    return "kind-" + event.kind;
  }

  function buildHeader() {
    var header = element("header", "top");
    var heading = element("div", "heading");
    heading.appendChild(element("h1", null, page.title));
    heading.appendChild(
      element("span", "meta", count(stories.length, "story", "stories") + " · generated " + page.generated)
    );
    header.appendChild(heading);

    var filters = element("div", "filters");
    controls.text = element("input", "filter-text");
    controls.text.type = "search";
    controls.text.id = "filter-text";
    controls.text.placeholder = "Search values, names, call sites… ( / )";
    controls.text.setAttribute("aria-label", "Search");
    filters.appendChild(controls.text);

    controls.test = select("filter-test", "All tests", stories.map(testOf));
    controls.thread = select("filter-thread", "All threads", unique(stories, laneOf));
    controls.site = select("filter-site", "All call sites", unique(stories, siteOf));
    filters.appendChild(controls.test);
    filters.appendChild(controls.thread);
    filters.appendChild(controls.site);
    controls.clear = element("button", "clear", "Clear");
    controls.clear.type = "button";
    filters.appendChild(controls.clear);
    controls.count = element("span", "match-count");
    controls.count.id = "match-count";
    filters.appendChild(controls.count);
    header.appendChild(filters);
    return header;
  }

  function unique(list, key) {
    var seen = {};
    var values = [];
    list.forEach(function (story) {
      story.events.forEach(function (event) {
        var value = key(event);
        if (!Object.prototype.hasOwnProperty.call(seen, value)) {
          seen[value] = true;
          values.push(value);
        }
      });
    });
    return values.sort();
  }

  function select(id, everything, values) {
    var node = element("select");
    node.id = id;
    node.setAttribute("aria-label", everything);
    node.appendChild(new Option(everything, ""));
    values.forEach(function (value) {
      node.appendChild(new Option(value, value));
    });
    return node;
  }

  function buildStory(story, storyIndex) {
    var section = element("section", "story");
    var test = testOf(story);
    var events = story.events;
    var title = element("h2");
    var outcome = story.test ? story.test.outcome : "story";
    title.appendChild(element("span", "badge badge-" + outcome, outcome));
    title.appendChild(element("span", "test-id", test));
    section.appendChild(title);
    if (story.test && story.test.message) {
      section.appendChild(element("pre", "message", story.test.message));
    }

    var end = story.ended_ns;
    if (end === null || end === undefined) {
      end = events.length ? events[events.length - 1].monotonic_ns : story.started_ns;
    }
    var clock = programClock(story);
    var span = Math.max(clock(end), 1);
    var summary = count(events.length, "event") + " over " + duration(span);
    // What the rows leave out (as the terminal story's footnote tells it).
    var latest = events.reduce(function (most, event) {
      return Math.max(most, event.monotonic_ns);
    }, story.started_ns);
    var leftOut = latest - story.started_ns - clock(latest);
    if (leftOut >= 1e6) summary += " (chrono's own source lookups, " + duration(leftOut) + ", not counted)";
    if (story.test && story.test.phases) {
      summary +=
        " · " +
        story.test.phases
          .map(function (phase) {
            return phase.when + " " + phase.outcome;
          })
          .join(", ");
    }
    var summaryLine = element("p", "summary", summary);
    if (story.dropped) {
      summaryLine.appendChild(element("span", "dropped-count", " · " + story.dropped.toLocaleString("en") + " dropped"));
    }
    var shown = element("span", "shown");
    summaryLine.appendChild(shown);
    section.appendChild(summaryLine);
    // The suspects (story.suspects), best first; their events are marked in the table.
    var suspectRank = {};
    var suspects = story.suspects || [];
    if (suspects.length) {
      var list = element("ol", "suspects");
      suspects.forEach(function (suspect) {
        if (!Object.prototype.hasOwnProperty.call(suspectRank, suspect.seq)) suspectRank[suspect.seq] = suspect.rank;
        var item = element("li", "suspect");
        item.appendChild(element("span", "suspect-rank", String(suspect.rank)));
        item.appendChild(element("span", "seq", " #" + suspect.seq + " "));
        var where = element("span", "site", shortPath(suspect.file) + ":" + suspect.line + " in " + suspect.function);
        where.title = suspect.file + ":" + suspect.line;
        item.appendChild(where);
        item.appendChild(document.createTextNode(" — "));
        item.appendChild(element("code", "predicate", suspect.predicate));
        item.appendChild(
          document.createTextNode(
            ": in " + suspect.failing + " of " + suspect.failing_total + " failing, " +
              suspect.passing + " of " + suspect.passing_total + " passing "
          )
        );
        item.appendChild(element("span", "score", "(" + suspect.formula + " " + suspect.score.toFixed(2) + ")"));
        list.appendChild(item);
      });
      section.appendChild(list);
    }
    if ((story.suspect_lines || []).length) section.appendChild(suspectLines(story.suspect_lines));

    // Lanes: one per thread (and asyncio task), in order of first appearance.
    var lanes = [];
    var laneIndex = {};
    events.forEach(function (event) {
      var lane = laneOf(event);
      if (!Object.prototype.hasOwnProperty.call(laneIndex, lane)) {
        laneIndex[lane] = lanes.length;
        lanes.push({ name: lane, preexisting: (story.preexisting_thread_ids || []).indexOf(event.thread_id) >= 0 });
      }
    });
    var timeline = element("div", "timeline");
    var overlay = element("div", "overlay"); // spans the tracks, for the dropped marker
    timeline.appendChild(overlay);
    var tracks = lanes.map(function (lane) {
      var row = element("div", "lane");
      var name = element("div", "lane-name", lane.name);
      name.title = lane.preexisting ? lane.name + " (started before this story)" : lane.name;
      if (lane.preexisting) name.appendChild(element("span", "preexisting", " ⟲"));
      row.appendChild(name);
      var track = element("div", "track");
      row.appendChild(track);
      timeline.appendChild(row);
      return track;
    });
    var droppedAt = story.dropped ? story.dropped_at : null;
    var axis = element("div", "axis");
    axis.appendChild(element("span", "axis-spacer"));
    var ticks = element("div", "ticks");
    axis.appendChild(ticks);
    ticks.appendChild(element("span", "tick tick-start", "0"));
    ticks.appendChild(element("span", "tick tick-middle", duration(span / 2)));
    ticks.appendChild(element("span", "tick tick-end", duration(span)));
    timeline.appendChild(axis);
    // A story of no events (a test --chrono-why explains, with no tp written) has no timeline.
    if (events.length) section.appendChild(timeline);

    var table = element("table", "events");
    var head = element("thead");
    var headRow = element("tr");
    ["#", "time", "call site", "thread", "what"].forEach(function (heading) {
      headRow.appendChild(element("th", null, heading));
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = element("tbody");
    table.appendChild(body);
    if (events.length) section.appendChild(table);

    var view = { section: section, shown: shown, rows: [], total: events.length, test: test };
    events.forEach(function (event, index) {
      var offset = clock(event.monotonic_ns);
      var position = Math.min(Math.max(offset / span, 0), 1) * 100;
      if (index === droppedAt) {
        var text = droppedText(story.dropped, index ? events[index - 1].seq : null, event.seq);
        var marker = element("div", "dropped-marker");
        marker.style.left = position + "%";
        marker.title = text;
        overlay.appendChild(marker);
        var droppedRow = element("tr", "dropped-row");
        var cell = element("td", null, text);
        cell.colSpan = 5;
        droppedRow.appendChild(cell);
        body.appendChild(droppedRow);
      }
      var lane = laneOf(event);
      var site = siteOf(event);
      var content = contentText(event);
      var row = element("tr", "event " + kindClass(event));
      var rank = suspectRank[event.seq];
      var seqCell = element("td", "seq", "#" + event.seq);
      if (rank !== undefined) {
        row.classList.add("suspect-row");
        var badge = element("span", "suspect-rank", String(rank));
        badge.title = "suspect " + rank;
        seqCell.insertBefore(badge, seqCell.firstChild);
      }
      row.appendChild(seqCell);
      row.appendChild(element("td", "time", duration(offset)));
      var siteCell = element("td", "site", site);
      siteCell.title = event.file + ":" + event.line;
      row.appendChild(siteCell);
      row.appendChild(element("td", "thread", lane));
      row.appendChild(contentCell(event));
      body.appendChild(row);

      var dot = element("span", "dot " + kindClass(event));
      dot.style.left = position + "%";
      dot.title = "#" + event.seq + "  " + duration(offset) + "  " + site + "\n" + content;
      tracks[laneIndex[lane]].appendChild(dot);

      var entry = {
        row: row,
        dot: dot,
        test: test,
        lane: lane,
        site: site,
        haystack: ("#" + event.seq + " " + site + " " + lane + " " + content + " " + (event.kind || "")).toLowerCase(),
      };
      dot.addEventListener("click", function () {
        highlight(entry);
      });
      row.addEventListener("click", function () {
        highlight(entry);
      });
      view.rows.push(entry);
      allRows.push(entry);
    });
    if (!events.length) section.appendChild(element("p", "empty", "No events were recorded."));
    (story.divergences || []).forEach(function (comparison) {
      section.appendChild(buildDivergence(comparison));
    });
    storyViews.push(view);
    return section;

    function highlight(entry) {
      allRows.forEach(function (other) {
        other.row.classList.remove("selected");
        other.dot.classList.remove("selected");
      });
      entry.row.classList.add("selected");
      entry.dot.classList.add("selected");
      entry.row.scrollIntoView({ block: "nearest" });
    }
  }

  function readState() {
    var state = new URLSearchParams(location.search);
    new URLSearchParams(location.hash.replace(/^#/, "")).forEach(function (value, key) {
      state.set(key, value);
    });
    controls.text.value = state.get("filter") || "";
    setChoice(controls.test, state.get("test"));
    setChoice(controls.thread, state.get("thread"));
    setChoice(controls.site, state.get("site"));
  }

  function setChoice(node, value) {
    node.value = value || "";
    if (node.value !== (value || "")) node.value = ""; // not one of the choices
  }

  function writeState() {
    var state = new URLSearchParams();
    if (controls.text.value) state.set("filter", controls.text.value);
    if (controls.test.value) state.set("test", controls.test.value);
    if (controls.thread.value) state.set("thread", controls.thread.value);
    if (controls.site.value) state.set("site", controls.site.value);
    var hash = state.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (error) {
      // Some browsers refuse replaceState on file: pages; filtering works all the same.
    }
  }

  function applyFilters() {
    var words = controls.text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var test = controls.test.value;
    var thread = controls.thread.value;
    var site = controls.site.value;
    var filtering = words.length || test || thread || site;
    var shownTotal = 0;
    var eventTotal = 0;
    storyViews.forEach(function (view) {
      var shown = 0;
      view.rows.forEach(function (entry) {
        var match =
          (!test || entry.test === test) &&
          (!thread || entry.lane === thread) &&
          (!site || entry.site === site) &&
          words.every(function (word) {
            return entry.haystack.indexOf(word) >= 0 || entry.test.toLowerCase().indexOf(word) >= 0;
          });
        entry.row.hidden = !match;
        entry.dot.classList.toggle("dim", !match);
        if (match) shown += 1;
      });
      var storyMatches = !test || view.test === test;
      view.section.hidden = !storyMatches || (filtering && shown === 0 && view.total > 0);
      view.shown.textContent = filtering && storyMatches ? " · " + shown + " shown" : "";
      if (!view.section.hidden) shownTotal += shown;
      eventTotal += view.total;
    });
    controls.count.textContent = shownTotal + " of " + count(eventTotal, "event");
  }

  function onChange() {
    applyFilters();
    writeState();
  }

  document.body.appendChild(buildHeader());
  var main = element("main");
  main.id = "stories";
  if (!stories.length) {
    main.appendChild(
      element("p", "empty", page.empty || "No failing tests: there are no stories to show.")
    );
  }
  stories.forEach(function (story, index) {
    main.appendChild(buildStory(story, index));
  });
  document.body.appendChild(main);

  readState();
  applyFilters();
  controls.text.addEventListener("input", onChange);
  [controls.test, controls.thread, controls.site].forEach(function (node) {
    node.addEventListener("change", onChange);
  });
  controls.clear.addEventListener("click", function () {
    controls.text.value = "";
    controls.test.value = controls.thread.value = controls.site.value = "";
    onChange();
  });
  window.addEventListener("hashchange", function () {
    readState();
    applyFilters();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && document.activeElement !== controls.text) {
      event.preventDefault();
      controls.text.focus();
    }
  });
})();
