// Shapes of the graft HTTP API (docs/design.md). Replace with the generated schema.d.ts once the
// server publishes its OpenAPI document (npm run gen:api).

export interface Issue {
  code: string;
  message: string;
  node?: string | null;
  port?: number | null;
  field?: string | null;
  expected?: unknown;
  found?: unknown;
  severity?: string;
}

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
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

export interface LayerSchema {
  type: string;
  category: string;
  doc: string;
  min_inputs: number;
  max_inputs: number | null;
  params: JsonSchema;
}

export interface NodeSpec {
  id: string;
  type: string;
  params?: Record<string, unknown>;
  inputs?: string[];
  network?: NetworkSpec | null;
  position?: { x: number; y: number } | null;
}

export interface NetworkSpec {
  format?: string;
  name?: string;
  description?: string;
  input: { shape: number[] };
  nodes: NodeSpec[];
  outputs?: string[] | null;
}

export interface Analysis {
  ok: boolean;
  issues: Issue[];
  shapes: Record<string, number[]>;
  params: Record<string, number>;
  total_params: number;
  output_shape: number[] | null;
  order: string[];
}

export interface SavedNetwork {
  id: string;
  name: string;
  network?: NetworkSpec;
  created?: string;
  updated?: string;
}

export interface DatasetRecord {
  id: string;
  name: string;
  size?: number;
  splits?: Record<string, number>;
  classes?: string[];
  shape?: number[];
  stats?: Record<string, unknown>;
  mean?: number | number[];
  std?: number | number[];
  class_counts?: Record<string, number> | number[];
  created?: string;
  builtin?: boolean;
  sizes?: Record<string, number | null>;
}

export interface SampleRow {
  index: number;
  label: number;
  class?: string;
  image_url?: string;
}

export interface MetricPoint {
  train_loss?: number;
  train_accuracy?: number;
  epoch?: number;
  step?: number;
  loss?: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
}

export interface RunRecord {
  id: string;
  name?: string;
  status: string; // queued | running | done | failed | cancelled
  progress?: number; // 0..1
  eta?: number | null; // seconds
  epoch?: number;
  epochs?: number;
  metrics?: MetricPoint[];
  history?: MetricPoint[];
  curve?: MetricPoint[]; // live points within epochs (fractional epoch, running loss/accuracy)
  model_id?: string | null;
  evaluation_id?: string | null;
  kind?: string;
  loss?: number | null;
  steps?: Record<string, Partial<StepStatus>>;
  result?: { steps?: StepStatus[] } & Record<string, unknown> | null;
  error?: string | null;
  created?: string;
  created_at?: string;
  stage?: string | null; // what a multi-part run (a report) is doing now
  report_id?: string | null;
  request?: Record<string, unknown>;
}

export interface ModelRecord {
  id: string;
  name: string;
  kind?: string; // model | foundation
  dataset?: string | null;
  accuracy?: number | null;
  params?: number | null;
  created?: string;
  parent?: string | null;
  parent_id?: string | null;
  created_at?: string;
  spec?: NetworkSpec;
  analysis?: Analysis;
}

export interface PerClass {
  class: string;
  label: number;
  total: number;
  hit: number;
  accuracy: number;
}

export interface Evaluation {
  id: string;
  model?: string;
  model_id?: string;
  data?: unknown;
  total: number;
  hit: number;
  accuracy: number;
  per_class: PerClass[];
  confusion: number[][];
  classes?: string[];
  created?: string;
}

/** One per-sample row as the server's view gives it: class names, not numbers. */
export interface EvalSample {
  index: number;
  label: string;
  prediction: string;
  confidence: number;
  hit: boolean;
}

export interface SamplesPage<T> {
  rows: T[];
  offset?: number;
  total?: number;
  eof: boolean;
}

export interface StepStatus {
  name: string;
  kind: string;
  status: string; // pending | running | done | failed | cached | skipped
  result?: Record<string, unknown> | null;
  error?: string | null;
}

export interface WorkflowRecord {
  id: string;
  name: string;
  yaml?: string;
  text?: string;
  document?: { name?: string; steps?: Record<string, unknown>[] };
  parsed?: { name?: string; steps?: Record<string, unknown>[] };
  steps?: StepStatus[];
  status?: string;
  last_run?: RunRecord | null;
}
