// Running an action the person asked for: one API call with the signed-in
// key, its refusal said in words next to the control, then a refresh that
// shows at least what the call recorded.

import { ApiError } from "./api.js";
import { clean, h } from "./dom.js";

// Messages outlive the re-render a live update causes; keyed by place.
const messages = new Map();

export function messageFor(place) {
  const text = messages.get(place);
  return h("p", { id: `${place}-message`, class: text?.ok ? "ok" : "error", role: "alert" },
    text ? text.text : "");
}

export function onSubmit(ctx, form, place, run) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    perform(ctx, place, () => run(new FormData(form)), () => clean(form));
  });
  return form;
}

export function onClick(ctx, button, place, run) {
  button.addEventListener("click", () => perform(ctx, place, run, () => {}));
  return button;
}

// A click that only reads (a download): refused like an action, said done
// when `run` answers a sentence, and nothing refreshed since nothing changed.
export function onRead(ctx, button, place, run) {
  button.addEventListener("click", async () => {
    messages.delete(place);
    show(place);
    try {
      const said = await run();
      if (said) messages.set(place, { text: said, ok: true });
    } catch (e) {
      messages.set(place, { text: explain(e) });
      if (e instanceof ApiError && e.status === 401) ctx.signOut("The key stopped working.");
    }
    show(place);
  });
  return button;
}

async function perform(ctx, place, run, done) {
  messages.delete(place);
  show(place);
  let result;
  try {
    result = await run();
  } catch (e) {
    messages.set(place, { text: explain(e) });
    show(place);
    if (e instanceof ApiError && e.status === 401) ctx.signOut("The key stopped working.");
    return;
  }
  done();
  await ctx.refresh(result.position || 0);
}

function show(place) {
  const target = document.getElementById(`${place}-message`);
  if (target) target.replaceWith(messageFor(place));
}

export function explain(e) {
  if (!(e instanceof ApiError)) return `Not sent: ${e.message}`;
  if (e.status === 403) return "Refused: this key may not do that here (forbidden).";
  const fields = (e.problem.errors || []).map((f) => `${f.field}: ${f.message}`);
  const detail = fields.length ? fields.join("; ") : e.message;
  return `Refused: ${detail} (${e.code}).`;
}

export function field(id, label, input) {
  return h("div", {}, h("label", { for: id }, label), h("input", { id, ...input }));
}
