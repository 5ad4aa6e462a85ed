import { useEffect, useRef } from "react";

export interface ServerEvent {
  type: string;
  [key: string]: unknown;
}

/**
 * Live updates from GET /api/events (Server-Sent Events). When the stream fails (proxy, server without
 * SSE) it falls back to calling `poll` every `pollMs` so the page still moves.
 */
export function useEvents(onEvent: (e: ServerEvent) => void, poll: () => void, pollMs = 2000) {
  const handler = useRef(onEvent);
  const poller = useRef(poll);
  handler.current = onEvent;
  poller.current = poll;

  useEffect(() => {
    let timer: number | undefined;
    let source: EventSource | null = null;
    const startPolling = () => {
      if (timer === undefined) timer = window.setInterval(() => poller.current(), pollMs);
    };
    if (typeof EventSource === "undefined") startPolling();
    else {
      source = new EventSource("/api/events");
      const dispatch = (msg: MessageEvent) => {
        try {
          const data = JSON.parse(msg.data);
          handler.current({ type: msg.type === "message" ? data.type ?? "message" : msg.type, ...data });
        } catch {
          /* keep-alive or non-JSON line */
        }
      };
      source.onmessage = dispatch;
      for (const t of ["run", "progress", "epoch", "step", "status", "workflow", "evaluation"]) {
        source.addEventListener(t, dispatch as EventListener);
      }
      source.onerror = () => {
        source?.close();
        source = null;
        startPolling();
      };
    }
    return () => {
      source?.close();
      if (timer !== undefined) window.clearInterval(timer);
    };
  }, [pollMs]);
}
