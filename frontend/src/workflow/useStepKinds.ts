import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Document } from "yaml";
import { api, type Issue } from "../api/client";
import type { components } from "../api/schema";
import { useApi } from "../hooks/useApi";
import { linksOf, parseWorkflow, stepsOf, textOf, type Link, type ParseError, type Step } from "./document";

export type StepKind = components["schemas"]["StepKind"];

/** The step kinds of the workflow schema, each with its fields (JSON Schema) and what it makes. */
export function useStepKinds() {
  const kinds = useApi((signal) => api.GET("/api/workflow-steps", { signal }), []);
  const list = useMemo(() => kinds.data ?? [], [kinds.data]);
  const resultOf = useCallback((k: string) => list.find((x) => x.kind === k)?.result, [list]);
  return { kinds: list, error: kinds.error, resultOf };
}

const GRAPH_AFTER_MS = 300;     // typing in the YAML redraws the graph once the typing pauses
const VALIDATE_AFTER_MS = 400;

/**
 * The YAML text is the one source of truth. The graph follows it (debounced while typing; at once after a canvas
 * edit); a text that does not parse keeps the last good graph and says where the error is. The server validates
 * the text that parses and its issues name the steps they belong to.
 */
export function useWorkflowText(text: string, setText: (t: string) => void) {
  const [graphText, setGraphText] = useState(text);
  useEffect(() => {
    if (text === graphText) return;
    const t = window.setTimeout(() => setGraphText(text), GRAPH_AFTER_MS);
    return () => window.clearTimeout(t);
  }, [text, graphText]);
  const parsed = useMemo(() => parseWorkflow(graphText), [graphText]);
  const good = useRef<{ steps: Step[]; links: Link[] }>({ steps: [], links: [] });
  if (!parsed.error) {
    const steps = stepsOf(parsed.doc);
    good.current = { steps, links: linksOf(steps) };
  }

  const [issues, setIssues] = useState<Issue[]>([]);
  const [checking, setChecking] = useState(false);
  useEffect(() => {
    if (parsed.error || !graphText.trim()) { setIssues([]); return; }
    const ctl = new AbortController();
    setChecking(true);
    const t = window.setTimeout(() => {
      api.POST("/api/workflows/validate", { body: { yaml: graphText }, signal: ctl.signal })
        .then((r) => { if (r.data) setIssues(r.data.issues); })
        .catch(() => undefined)   // aborted by a newer text, or the server is away: the next check says
        .finally(() => !ctl.signal.aborted && setChecking(false));
    }, VALIDATE_AFTER_MS);
    return () => { window.clearTimeout(t); ctl.abort(); };
  }, [graphText, parsed.error]);

  /** Apply a canvas edit to the document of the current text; the new text shows in both at once. */
  const edit = useCallback(<T,>(f: (doc: Document) => T): T | { reason: string } => {
    const { doc, error } = parseWorkflow(text);
    if (error) return { reason: `Fix the YAML first (${error.line ? `line ${error.line}: ` : ""}${error.message})` };
    const result = f(doc);
    const out = textOf(doc);
    setText(out);
    setGraphText(out);
    return result;
  }, [text, setText]);

  const yamlError: ParseError | null = text === graphText ? parsed.error : null;
  return { steps: good.current.steps, links: good.current.links, yamlError, issues, checking, edit };
}
