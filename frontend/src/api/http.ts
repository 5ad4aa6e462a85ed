import type { Issue } from "./types";

/** An API error with the server's message and any structured issues ({"detail": {message, issues}}). */
export class ApiError extends Error {
  constructor(public status: number, message: string, public issues: Issue[] = []) {
    super(message);
  }
}

async function parse<T>(res: Response, what: string): Promise<T> {
  if (res.ok) {
    const type = res.headers.get("content-type") ?? "";
    return (type.includes("json") ? await res.json() : await res.text()) as T;
  }
  let message = `${what} failed: ${res.status} ${res.statusText}`;
  let issues: Issue[] = [];
  try {
    const body = await res.json();
    const detail = body?.detail;
    if (typeof detail === "string") message = detail;
    else if (Array.isArray(detail)) message = detail.map((d) => d.msg ?? String(d)).join("; ");
    else if (detail?.message) {
      message = detail.message;
      issues = detail.issues ?? [];
    }
  } catch {
    /* body was not JSON: keep the status line */
  }
  if (res.status === 413) message = `Upload too large: ${message}`;
  throw new ApiError(res.status, message, issues);
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return parse<T>(await fetch(`/api${path}`, { signal }), `GET ${path}`);
}

export async function send<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown,
                              signal?: AbortSignal): Promise<T> {
  const init: RequestInit = { method, signal };
  if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  return parse<T>(await fetch(`/api${path}`, init), `${method} ${path}`);
}

/** Lists come back either bare or wrapped ({items: [...]}, {layers: [...]}); accept both. */
export function asList<T>(data: unknown, ...keys: string[]): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === "object") {
    for (const k of [...keys, "items", "rows", "results"]) {
      const v = (data as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v as T[];
    }
  }
  return [];
}

/** Multipart upload with progress (fetch has no upload progress events). */
export function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api${path}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.upload.onload = () => onProgress(1); // small files may send no progress event at all
    xhr.onerror = () => reject(new ApiError(0, "Network error during upload"));
    xhr.onload = () => {
      const res = new Response(xhr.responseText, {
        status: xhr.status, statusText: xhr.statusText,
        headers: { "content-type": xhr.getResponseHeader("content-type") ?? "" },
      });
      parse<T>(res, `upload to ${path}`).then(resolve, reject);
    };
    xhr.send(form);
  });
}
