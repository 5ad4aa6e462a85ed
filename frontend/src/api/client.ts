import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

/** Typed client generated from the server's OpenAPI document (npm run gen:api). Every call goes through it,
 * except the two it cannot express: uploads with progress (api/upload.ts) and the event stream (useEvents). */
export const api = createClient<paths>({ baseUrl: "/" });

type Schemas = components["schemas"];
export type Analysis = Schemas["Analysis"];
export type DatasetRecord = Schemas["DatasetRecord"];
export type DatasetInspection = Schemas["DatasetInspection"];
export type EvaluationRecord = Schemas["EvaluationRecord"];
export type Issue = Schemas["Issue"];
export type LayerSchema = Schemas["LayerSchema"];
export type LineageRecord = Schemas["LineageRecord"];
export type ModelDetail = Schemas["ModelDetail"];
export type ModelRecord = Schemas["ModelRecord"];
export type ReportRecord = Schemas["ReportRecord"];
export type ReportSummary = Schemas["ReportSummary"];
export type RunRecord = Schemas["RunRecord"];
export type SavedNetwork = Schemas["SavedNetwork"];
export type Template = Schemas["Template"];
export type TrainRequest = Schemas["TrainRequest"];
export type PretrainRequest = Schemas["PretrainRequest"];
export type WorkflowRunRequest = Schemas["WorkflowRunRequest"];

/** A request body that may leave out fields with a default: openapi-typescript marks those always present (true
 * of what the server sends), but a request leaves them to the server, which keeps each default in one place. */
export type Sent<T> = {
  [K in keyof T]?: unknown extends T[K] ? T[K] : NonNullable<T[K]> extends unknown[] ? T[K] : NonNullable<T[K]> extends object ? Sent<NonNullable<T[K]>> : T[K]
};
export const sent = <T>(body: Sent<T>) => body as T;
export type Workflow = Schemas["Workflow"];

/** An API error with the server's message and any structured issues ({"detail": {message, issues}}): the
 * designer pins the issues on the nodes they name. */
export class ApiError extends Error {
  constructor(public status: number, message: string, public issues: Issue[] = []) {
    super(message);
  }
}

/** The ApiError of a failed answer, whatever shape its body took (ours, FastAPI's list, plain text). */
export function errorOf(status: number, statusText: string, body: unknown): ApiError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  let message = typeof body === "string" && body ? body : `${status} ${statusText}`;
  let issues: Issue[] = [];
  if (typeof detail === "string") message = detail;
  else if (Array.isArray(detail)) message = detail.map((d) => d?.msg ?? String(d)).join("; ");
  else if (detail && typeof detail === "object" && "message" in detail) {
    message = String(detail.message);
    issues = (detail as { issues?: Issue[] }).issues ?? [];
  }
  if (status === 413) message = `Upload too large: ${message}`;
  return new ApiError(status, message, issues);
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The data of an openapi-fetch answer, or an ApiError carrying the server's message and issues. */
export function unwrap<T>(r: Answer<T>): T {
  if (r.error !== undefined || !r.response.ok) throw errorOf(r.response.status, r.response.statusText, r.error);
  return r.data as T;
}

/** `await call(api.POST(...))`: the data, or a thrown ApiError. */
export const call = async <T>(answer: Promise<Answer<T>>): Promise<T> => unwrap(await answer);

/** Follow a queued job until it ends (SSE would be nicer; a plain poll keeps this small). */
export async function waitForRun(id: string, everyMs = 500) {
  for (;;) {
    const run = await call(api.GET("/api/runs/{id}", { params: { path: { id } } }));
    if (!["queued", "running"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Cancel a run; the caller reloads either way (a run that just ended cannot be cancelled, and says so). */
export const cancelRun = (id: string) => call(api.POST("/api/runs/{id}/cancel", { params: { path: { id } } }));

/** Queue an interrupted (or failed, cancelled) training run again; its worker goes on from the last checkpoint. */
export const resumeRun = (id: string) => call(api.POST("/api/runs/{id}/resume", { params: { path: { id } } }));
