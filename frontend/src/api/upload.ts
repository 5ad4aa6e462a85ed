import { errorOf, ApiError } from "./client";

/** Multipart upload with progress: the one call outside the generated client, since fetch (and so
 * openapi-fetch) has no upload progress events. `path` is typed to the upload routes. */
export function upload<T>(path: "/api/datasets/import" | "/api/datasets/inspect" | "/api/models/import" | "/api/models/import-model",
                          form: FormData,
                          onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.upload.onload = () => onProgress(1); // small files may send no progress event at all
    xhr.onerror = () => reject(new ApiError(0, "Network error during upload"));
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON: keep the text */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(errorOf(xhr.status, xhr.statusText, body));
    };
    xhr.send(form);
  });
}
