import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { ApiError } from "./http";

/** Typed client generated from the server's OpenAPI document (npm run gen:api). */
export const api = createClient<paths>({ baseUrl: "/" });

/** The data of an openapi-fetch answer, or an ApiError carrying the server's message and issues. */
export function unwrap<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.error !== undefined || r.data === undefined) {
    const detail = (r.error as { detail?: { message?: string; issues?: [] } | string })?.detail;
    const message = typeof detail === "string" ? detail : detail?.message ?? `${r.response.status} ${r.response.statusText}`;
    throw new ApiError(r.response.status, message, typeof detail === "object" ? detail?.issues ?? [] : []);
  }
  return r.data;
}

/** Follow a queued job until it ends (SSE would be nicer; a plain poll keeps this small). */
export async function waitForRun(id: string, everyMs = 500) {
  for (;;) {
    const run = unwrap(await api.GET("/api/runs/{id}", { params: { path: { id } } }));
    if (!["queued", "running"].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
