// A typed taskhub client in a few lines over fetch, and what a front end does with it: page
// through tasks, create one, change one only if nobody else has (If-Match, 412), and put a 422's
// field errors next to their inputs. Every type comes from schema.d.ts, generated from the API's
// OpenAPI document; at run time there is nothing but fetch.
import type { components, paths } from "./schema";

export type Task = components["schemas"]["TaskRead"];
export type TaskCreate = components["schemas"]["TaskCreate"];
export type TaskUpdate = components["schemas"]["TaskUpdate"];
export type Problem = components["schemas"]["Problem"];
export type TaskQuery = NonNullable<paths["/api/tasks"]["get"]["parameters"]["query"]>;

type Method = "get" | "post" | "put" | "patch" | "delete";

// A method a path lacks is generated as `put?: never`, which reads as undefined and drops out.
type MethodOf<P extends keyof paths> = {
  [M in Method]: paths[P][M] extends { responses: object } ? M : never;
}[Method];
type Operation<P extends keyof paths, M extends Method> = Extract<paths[P][M], { responses: object }>;

type PathParameters<O> = O extends { parameters: { path: infer X } } ? X : never;
type QueryParameters<O> = O extends { parameters: { query?: infer X } } ? X : never;
type HeaderParameters<O> = O extends { parameters: { header?: infer X } } ? X : never;
type JsonBody<O> = O extends { requestBody?: infer R }
  ? [NonNullable<R>] extends [never]
    ? never
    : NonNullable<R> extends { content: { "application/json": infer X } }
      ? X
      : never
  : never;

/** What a call takes: the path's parameters when it has any, its query, header and JSON body. */
export type Request<O> = ([PathParameters<O>] extends [never] ? { path?: never } : { path: PathParameters<O> }) & {
  query?: QueryParameters<O>;
  headers?: HeaderParameters<O>;
} & ([JsonBody<O>] extends [never] ? { body?: never } : { body: JsonBody<O> });

type ResponseBody<R> = R extends { content: infer C } ? C[keyof C] : undefined;

/** One member per status the document lists, so `switch (result.status)` narrows `body`. */
export type Result<O> = O extends { responses: infer R }
  ? { [S in keyof R]: { status: S; body: ResponseBody<R[S]>; headers: Headers } }[keyof R]
  : never;

/** Where the bearer token comes from (for Better Auth's jwt plugin, see the README). */
export type TokenSource = () => Promise<string>;

interface Parts {
  path?: Record<string, string>;
  query?: Record<string, string | number | boolean | string[] | null | undefined>;
  headers?: Record<string, string | null | undefined>;
  body?: unknown;
}

export function taskhub(baseUrl: string, token: TokenSource) {
  return async function call<P extends keyof paths, M extends MethodOf<P>>(
    method: M,
    path: P,
    request: Request<Operation<P, M>>,
  ): Promise<Result<Operation<P, M>>> {
    const parts = request as Parts;
    const url = new URL(
      path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(parts.path?.[name] ?? "")),
      baseUrl,
    );
    for (const [name, value] of Object.entries(parts.query ?? {})) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (one !== null && one !== undefined) url.searchParams.append(name, String(one));
      }
    }
    const headers = new Headers({
      Accept: "application/json, application/problem+json",
      Authorization: `Bearer ${await token()}`,
    });
    for (const [name, value] of Object.entries(parts.headers ?? {})) {
      if (value !== null && value !== undefined) headers.set(name, value);
    }
    const init: RequestInit = { method: method.toUpperCase(), headers };
    if (parts.body !== undefined) {
      headers.set("Content-Type", "application/json");
      init.body = JSON.stringify(parts.body);
    }
    const response = await fetch(url, init);
    const text = await response.text();
    // The one unchecked step: the answer is trusted to match the document, which
    // tests/ops/test_typescript_client.py keeps equal to the one the server serves.
    const result = {
      status: response.status,
      body: text === "" ? undefined : (JSON.parse(text) as unknown),
      headers: response.headers,
    };
    return result as Result<Operation<P, M>>;
  };
}

export type Api = ReturnType<typeof taskhub>;

/** A status the caller does not handle (401, 429, 503, a proxy's 502...), with its problem. */
export class TaskhubError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? `taskhub answered ${status}`);
  }
}

function fail(result: { status: number; body: unknown }): never {
  const { body } = result;
  const problem = typeof body === "object" && body !== null && "type" in body ? (body as Problem) : undefined;
  throw new TaskhubError(result.status, problem);
}

/** A 422's `errors[]` as field -> message (the first per field), to show next to each input. */
export function fieldErrors(problem: Problem): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const { field, message } of problem.errors ?? []) fields[field] ??= message;
  return fields;
}

/** Every task matching `query`, page after page. Each page's `Link: <...>; rel="next"` header
 * holds the same cursor in a ready-made URL; `next_cursor` keeps the query typed. */
export async function* allTasks(api: Api, query: TaskQuery = {}): AsyncGenerator<Task> {
  let cursor: string | null = null;
  do {
    const pageQuery: TaskQuery = cursor === null ? query : { ...query, cursor };
    const page = await api("get", "/api/tasks", { query: pageQuery });
    if (page.status !== 200) fail(page);
    yield* page.body.items;
    cursor = page.body.next_cursor;
  } while (cursor !== null);
}

export type Created = { ok: true; task: Task } | { ok: false; fields: Record<string, string> };

/** `idempotencyKey`: pass the same one again when retrying after a network error, so that the
 * task is created once whichever attempt reached the server. */
export async function createTask(
  api: Api,
  task: TaskCreate,
  idempotencyKey: string = crypto.randomUUID(),
): Promise<Created> {
  const result = await api("post", "/api/tasks", { body: task, headers: { "Idempotency-Key": idempotencyKey } });
  switch (result.status) {
    case 201:
      return { ok: true, task: result.body };
    case 422:
      return { ok: false, fields: fieldErrors(result.body) };
    default:
      return fail(result);
  }
}

export type Saved =
  | { outcome: "saved"; task: Task }
  | { outcome: "conflict"; reason: string; current: Task }
  | { outcome: "invalid"; fields: Record<string, string> };

/** Applies `changes` only if `task` is still the version the user saw (its ETag is the quoted
 * version). Otherwise the server answers 412 and nothing is overwritten: the user is shown the
 * current task and decides. */
export async function updateTask(api: Api, task: Task, changes: TaskUpdate): Promise<Saved> {
  const result = await api("patch", "/api/tasks/{task_id}", {
    path: { task_id: task.id },
    headers: { "If-Match": `"${task.version}"` },
    body: changes,
  });
  switch (result.status) {
    case 200:
      return { outcome: "saved", task: result.body };
    case 412: {
      const current = await api("get", "/api/tasks/{task_id}", { path: { task_id: task.id } });
      if (current.status !== 200) fail(current);
      return { outcome: "conflict", reason: result.body.detail, current: current.body };
    }
    case 422:
      return { outcome: "invalid", fields: fieldErrors(result.body) };
    default:
      return fail(result);
  }
}

/** Asks `fetchToken` again only when the token it gave is within `marginSeconds` of its `exp`
 * (Better Auth's tokens last 15 minutes by default), not once per call. */
export function cachedToken(fetchToken: TokenSource, marginSeconds = 60): TokenSource {
  let token: string | null = null;
  let expiresAt = 0;
  return async () => {
    if (token === null || Date.now() / 1000 >= expiresAt - marginSeconds) {
      token = await fetchToken();
      expiresAt = expiryOf(token);
    }
    return token;
  };
}

function expiryOf(jwt: string): number {
  const payload = (jwt.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/");
  try {
    const claims: unknown = JSON.parse(atob(payload));
    if (typeof claims === "object" && claims !== null && "exp" in claims && typeof claims.exp === "number") {
      return claims.exp;
    }
  } catch {
    // Not a JWT we can read: treat it as expired, so the next call asks again.
  }
  return 0;
}
