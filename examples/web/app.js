// A page that talks to taskhub straight from the browser: no framework, no build step.
// The HTTP contract it follows is docs/api.md; the parts a front end needs are marked "Contract".

const $ = (selector, root = document) => root.querySelector(selector);

const connectForm = $("#connect");
const newTaskForm = $("#new-task");
const list = $("#tasks");
const moreButton = $("#more");
const statusLine = $("#status");

// The token lives in memory only: web storage would hand it to any script that ever runs on
// this origin, and a URL would leave it in the history and in server logs.
const session = { api: "", token: "", limit: 20, next: null };
const tasks = new Map(); // task id -> { task, element }

let errorIds = 0;

// ---------------------------------------------------------------------------------------------
// Talking to the API

/** A refusal from the API: an RFC 9457 problem document, plus the headers that matter here. */
class Problem extends Error {
  constructor(response, body) {
    super(body?.title ?? `HTTP ${response.status}`);
    this.status = response.status;
    this.title = body?.title ?? response.statusText;
    this.detail = body?.detail ?? "";
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.requestId = body?.request_id ?? response.headers.get("X-Request-ID");
    // Contract: a 412 carries the task's current version in ETag (readable because the API
    // lists ETag among the headers a browser on another origin may read).
    this.currentVersion = response.headers.get("ETag")?.replaceAll('"', "") ?? null;
  }

  describe() {
    const parts = [this.title, this.detail].filter(Boolean).join(": ");
    return this.requestId ? `${parts} (request id ${this.requestId})` : parts;
  }
}

class Unreachable extends Error {
  describe() {
    return (
      `The API at ${session.api} did not answer. Check the URL, that the server runs, and that it ` +
      `lets this page's origin (${location.origin}) call it.`
    );
  }
}

/** One request: the bearer token always, If-Match when `version` is given, JSON both ways. */
async function call(method, url, { body, version } = {}) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (body !== undefined) {
    // Contract: PATCH is a JSON merge patch; every other body is plain JSON.
    headers["Content-Type"] = method === "PATCH" ? "application/merge-patch+json" : "application/json";
  }
  if (version !== undefined) {
    // Contract: the write happens only if the task is still at the version this page showed.
    headers["If-Match"] = `"${version}"`;
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    // A network failure and a CORS refusal look the same to a script: no response at all.
    throw new Unreachable();
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Problem(response, data);
  return { response, data };
}

const apiUrl = (path) => new URL(path, `${session.api}/`);
const taskUrl = (id, action = "") => apiUrl(`api/tasks/${encodeURIComponent(id)}${action}`);

/** Contract: the next page is in `Link: <...>; rel="next"`, and in the body's `next_cursor`. */
function nextPageUrl(response, data, pageUrl) {
  const link = response.headers.get("Link");
  const match = link?.match(/<([^>]*)>[^,]*;\s*rel="?next"?/);
  // The link is relative: it resolves against the URL that was asked for, like any link.
  if (match) return new URL(match[1], response.url);
  if (data.next_cursor) {
    const next = new URL(pageUrl);
    next.searchParams.set("cursor", data.next_cursor);
    return next;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Showing things to the person

function say(message, { error = false } = {}) {
  statusLine.textContent = message;
  statusLine.classList.toggle("error", error);
}

function explain(failure) {
  if (failure instanceof Problem && failure.status === 401) {
    const reason = (failure.detail || failure.title).replace(/\.$/, "");
    return `The API refused the token: ${reason}. Paste a fresh one and connect again.`;
  }
  if (failure instanceof Problem || failure instanceof Unreachable) return failure.describe();
  throw failure;
}

function clearErrors(form) {
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  for (const message of form.querySelectorAll(".field-error")) message.remove();
  $(".form-error", form).textContent = "";
}

/** Contract: a 422 names each field at fault as it was sent, so its message goes next to that input. */
function showProblem(form, failure) {
  clearErrors(form);
  if (!(failure instanceof Problem)) {
    $(".form-error", form).textContent = explain(failure);
    return;
  }
  const elsewhere = [];
  let first = null;
  for (const { field, message } of failure.errors) {
    const input = form.elements.namedItem(field);
    if (!(input instanceof HTMLInputElement)) {
      elsewhere.push(`${field}: ${message}`);
      continue;
    }
    const note = document.createElement("span");
    note.className = "field-error";
    note.id = `field-error-${++errorIds}`;
    note.textContent = message;
    // After the input's label when the input sits inside it, so the label's text stays the name.
    (input.closest("label") ?? input).after(note);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    first ??= input;
  }
  if (elsewhere.length > 0 || first === null) {
    $(".form-error", form).textContent = [explain(failure), ...elsewhere].join(" ");
  }
  first?.focus();
}

function showConflict(entry, failure) {
  const box = $(".conflict", entry.element);
  box.hidden = false;
  const now = failure.currentVersion ? ` (it is now at version ${failure.currentVersion})` : "";
  $(".conflict-text", box).textContent =
    `“${entry.task.title}” was changed somewhere else since this page loaded it${now}, ` +
    `so your change was not saved. Reload the task to see it as it is now, then try again.`;
}

/** Draws a task, or redraws it in place; its buttons always act on the version shown. */
function render(task) {
  let entry = tasks.get(task.id);
  if (entry === undefined) {
    const element = $("#task-template").content.firstElementChild.cloneNode(true);
    entry = { task, element };
    tasks.set(task.id, entry);
    wire(entry);
  }
  entry.task = task;
  const { element } = entry;
  element.dataset.id = task.id;
  element.dataset.version = String(task.version);
  element.classList.toggle("completed", task.completed);
  // textContent, never innerHTML: titles are whatever people typed.
  $(".title", element).textContent = task.title;
  const due = $(".due", element);
  due.hidden = task.due_at === null;
  if (task.due_at !== null) {
    due.dateTime = task.due_at;
    due.textContent = `due ${new Date(task.due_at).toLocaleString()}`;
  }
  $(".done-badge", element).hidden = !task.completed;
  $(".complete", element).hidden = task.completed;
  $(".edit", element).setAttribute("aria-label", `Edit “${task.title}”`);
  $(".complete", element).setAttribute("aria-label", `Complete “${task.title}”`);
  $(".delete", element).setAttribute("aria-label", `Delete “${task.title}”`);
  return entry;
}

function showEmptiness() {
  $("#empty").hidden = tasks.size > 0;
}

// ---------------------------------------------------------------------------------------------
// What each control does

function wire(entry) {
  const { element } = entry;
  const editForm = $(".edit-form", element);
  const titleInput = editForm.elements.namedItem("title");
  const conflict = $(".conflict", element);

  $(".edit", element).addEventListener("click", () => {
    editForm.hidden = false;
    titleInput.value = entry.task.title;
    titleInput.focus();
  });

  $(".cancel", editForm).addEventListener("click", () => {
    editForm.hidden = true;
    conflict.hidden = true;
    clearErrors(editForm);
    $(".edit", element).focus();
  });

  editForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(editForm);
    conflict.hidden = true;
    try {
      const { data } = await call("PATCH", taskUrl(entry.task.id), {
        body: { title: titleInput.value },
        version: entry.task.version,
      });
      render(data);
      editForm.hidden = true;
      say(`Renamed to “${data.title}”.`);
      $(".edit", element).focus();
    } catch (failure) {
      if (failure instanceof Problem && failure.status === 412) showConflict(entry, failure);
      else showProblem(editForm, failure);
    }
  });

  $(".reload", conflict).addEventListener("click", async () => {
    try {
      const { data } = await call("GET", taskUrl(entry.task.id));
      render(data);
      conflict.hidden = true;
      // The person's own text stays in the open form, so saving again applies it to this version.
      say(`Reloaded “${data.title}” (version ${data.version}).`);
      if (!editForm.hidden) titleInput.focus();
    } catch (failure) {
      if (failure instanceof Problem && failure.status === 404) forget(entry, "It has been deleted meanwhile.");
      else say(explain(failure), { error: true });
    }
  });

  $(".complete", element).addEventListener("click", async () => {
    try {
      const { data } = await call("POST", taskUrl(entry.task.id, "/complete"), { version: entry.task.version });
      render(data);
      say(`Completed “${data.title}”.`);
      $(".edit", element).focus();
    } catch (failure) {
      if (failure instanceof Problem && failure.status === 412) showConflict(entry, failure);
      else say(explain(failure), { error: true });
    }
  });

  $(".delete", element).addEventListener("click", async () => {
    try {
      await call("DELETE", taskUrl(entry.task.id), { version: entry.task.version });
      forget(entry, `Deleted “${entry.task.title}”.`);
    } catch (failure) {
      if (failure instanceof Problem && failure.status === 412) showConflict(entry, failure);
      else say(explain(failure), { error: true });
    }
  });
}

function forget(entry, message) {
  entry.element.remove();
  tasks.delete(entry.task.id);
  showEmptiness();
  say(message);
  // The button that had focus is gone: the list's heading is the nearest sensible place.
  $("#list-heading").focus();
}

async function showPage(url) {
  const { response, data } = await call("GET", url);
  let added = 0;
  for (const task of data.items) {
    // A task already drawn (created on this page meanwhile) keeps its place.
    if (tasks.has(task.id)) continue;
    list.append(render(task).element);
    added += 1;
  }
  session.next = nextPageUrl(response, data, url);
  moreButton.hidden = session.next === null;
  showEmptiness();
  return added;
}

connectForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = connectForm.elements;
  session.api = fields.namedItem("api").value.trim().replace(/\/+$/, "");
  session.token = fields.namedItem("token").value.trim().replace(/^Bearer\s+/i, "");
  session.limit = Number(fields.namedItem("limit").value) || 20;
  tasks.clear();
  list.replaceChildren();
  say("Loading your tasks…");
  try {
    const first = apiUrl("api/tasks");
    first.searchParams.set("limit", String(session.limit));
    const shown = await showPage(first);
    $("#workspace").hidden = false;
    say(`Connected: ${shown} task${shown === 1 ? "" : "s"} shown${session.next ? ", more to come" : ""}.`);
  } catch (failure) {
    $("#workspace").hidden = true;
    say(explain(failure), { error: true });
  }
});

moreButton.addEventListener("click", async () => {
  try {
    const shown = await showPage(session.next);
    say(`${shown} more task${shown === 1 ? "" : "s"} shown${session.next ? "" : "; that is all of them"}.`);
    if (moreButton.hidden) $("#list-heading").focus();
  } catch (failure) {
    say(explain(failure), { error: true });
  }
});

newTaskForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(newTaskForm);
  const fields = newTaskForm.elements;
  const body = { title: fields.namedItem("title").value };
  const due = fields.namedItem("due_at").value;
  // The input gives a wall-clock time without an offset; the API needs one (docs/api.md,
  // Conventions: Times), so it is read as the person's local time and sent in UTC.
  if (due) body.due_at = new Date(due).toISOString();
  try {
    const { data } = await call("POST", apiUrl("api/tasks"), { body });
    list.prepend(render(data).element);
    showEmptiness();
    newTaskForm.reset();
    say(`Added “${data.title}”.`);
    fields.namedItem("title").focus();
  } catch (failure) {
    showProblem(newTaskForm, failure);
    say("The task was not added; see the form.", { error: true });
  }
});

// The page's own URL may preset the API and the page size (?api=http://127.0.0.1:8000&limit=5).
const preset = new URLSearchParams(location.search);
for (const name of ["api", "limit"]) {
  if (preset.has(name)) connectForm.elements.namedItem(name).value = preset.get(name);
}
