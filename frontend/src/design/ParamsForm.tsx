import { useEffect, useState } from "react";
import type { Issue } from "../api/client";

/** The JSON Schema of a layer's parameters (GET /api/layers gives it as a free object): the parts this form reads. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

interface Props {
  schema: JsonSchema;
  values: Record<string, unknown>;
  issues: Issue[];
  /** `field`: the text field being typed in (its keystrokes make one undo step); none for a click or a pick */
  onChange: (values: Record<string, unknown>, field?: string) => void;
  onEditDone?: () => void;
}

type Kind = "integer" | "number" | "boolean" | "string" | "enum" | "json";

/** The simple kind of a property; Optional[...] (anyOf with null) counts as its non-null branch. */
function kindOf(s: JsonSchema, root: JsonSchema): { kind: Kind; nullable: boolean; enumValues?: unknown[] } {
  if (s.$ref) {
    const name = s.$ref.split("/").pop()!;
    const target = root.$defs?.[name];
    if (target) return kindOf(target, root);
  }
  if (s.enum) return { kind: "enum", nullable: false, enumValues: s.enum };
  if (s.anyOf) {
    const rest = s.anyOf.filter((b) => b.type !== "null");
    const nullable = rest.length < s.anyOf.length;
    if (rest.length === 1) return { ...kindOf(rest[0], root), nullable };
    return { kind: "json", nullable };
  }
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  if (t === "integer" || t === "number" || t === "boolean" || t === "string") return { kind: t, nullable: false };
  return { kind: "json", nullable: false };
}

function Field({ name, schema, root, value, required, issue, onChange, onEditDone }: {
  name: string; schema: JsonSchema; root: JsonSchema; value: unknown; required: boolean; issue?: Issue;
  onChange: (v: unknown, typing?: boolean) => void; onEditDone?: () => void;
}) {
  const { kind, nullable, enumValues } = kindOf(schema, root);
  const shown = value === undefined ? schema.default : value;
  // Text-like fields keep the raw text so a half-typed value ("1," or "-") is not thrown away.
  // an unset optional value (null) shows as an empty field with its placeholder, never as the word "null"
  const asText = (v: unknown) => (v === undefined || v === null ? "" : kind === "json" ? JSON.stringify(v) : String(v));
  const [text, setText] = useState(() => asText(shown));
  useEffect(() => setText(asText(shown)), [shown, kind]);
  const label = (
    <span>
      {schema.title ?? name}{required && " *"}
      {schema.default !== undefined && <span className="muted"> (default {schema.default === null ? "none" : JSON.stringify(schema.default)})</span>}
    </span>
  );
  const err = issue && <span style={{ color: "var(--danger)" }} role="alert">{issue.message}</span>;
  if (kind === "boolean") {
    return (
      <label className="check">
        <input type="checkbox" checked={Boolean(shown)} onChange={(e) => onChange(e.target.checked)} /> {label} {err}
      </label>
    );
  }
  if (kind === "enum") {
    return (
      <label className="field">{label}
        <select value={JSON.stringify(shown ?? null)} onChange={(e) => onChange(JSON.parse(e.target.value))}>
          {nullable && <option value="null">—</option>}
          {enumValues!.map((v) => <option key={JSON.stringify(v)} value={JSON.stringify(v)}>{String(v)}</option>)}
        </select>{err}
      </label>
    );
  }
  const commit = (raw: string) => {
    setText(raw);
    if (raw.trim() === "") return onChange(nullable || !required ? undefined : raw, true);
    if (kind === "integer" || kind === "number") {
      const n = Number(raw);
      return onChange(Number.isFinite(n) ? n : raw, true); // a non-number goes to the analyser, which names it
    }
    if (kind === "json") {
      try { return onChange(JSON.parse(raw), true); } catch { return onChange(raw, true); }
    }
    onChange(raw, true);
  };
  return (
    <label className="field">{label}
      <input
        name={name} value={text} aria-invalid={issue ? true : undefined}
        inputMode={kind === "integer" || kind === "number" ? "decimal" : undefined}
        placeholder={nullable ? (schema.description ? `none: ${schema.description}` : "none") : kind === "json" ? "e.g. 3 or [3, 3]" : undefined}
        onChange={(e) => commit(e.target.value)} onBlur={onEditDone}
        style={issue ? { borderColor: "var(--danger)" } : undefined}
      />{err}
    </label>
  );
}

/** A form generated from a layer's params JSON schema (pydantic model_json_schema). */
export default function ParamsForm({ schema, values, issues, onChange, onEditDone }: Props) {
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return <p className="muted small">This layer has no parameters.</p>;
  const required = new Set(schema.required ?? []);
  return (
    <div className="list" style={{ gap: 10 }}>
      {props.map(([name, s]) => (
        <Field
          key={name} name={name} schema={s} root={schema} value={values[name]} required={required.has(name)}
          issue={issues.find((i) => i.field === name || i.field === `params.${name}`)}
          onEditDone={onEditDone}
          onChange={(v, typing) => {
            const next = { ...values };
            if (v === undefined) delete next[name];
            else next[name] = v;
            onChange(next, typing ? name : undefined);
          }}
        />
      ))}
    </div>
  );
}
