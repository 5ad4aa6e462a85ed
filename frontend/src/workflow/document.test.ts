import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  addStep, connect, deleteStep, disconnect, EMPTY_WORKFLOW, linksOf, parseWorkflow, renameStep, setData, setField,
  setWorkflowField, stepsOf, textOf,
} from "./document";

// the seed workflow as shipped: comments, block and flow style, descriptions longer than a line
const SEED = readFileSync(new URL("../../../src/graft/workflows/mnist_transfer.yaml", import.meta.url), "utf8");
const RESULTS: Record<string, string> = { train: "model", pretrain: "model", slice: "model", import_model: "model",
  import_dataset: "dataset", evaluate: "evaluation", view: "view" };
const resultOf = (k: string) => RESULTS[k];

/** Apply `edit` to the text's document and give the text back, as the canvas does. */
function edited(text: string, edit: (d: ReturnType<typeof parseWorkflow>["doc"]) => unknown): string {
  const { doc, error } = parseWorkflow(text);
  expect(error).toBeNull();
  edit(doc);
  return textOf(doc);
}

const SMALL = `# my pipeline
format: graft.workflow/v1
name: small
steps:
  - name: base # the CNN
    kind: train
    network: {template: mlp}
    epochs: 1 # a quick trial
  - name: test
    kind: evaluate
    model: {step: base}
`;

describe("workflow YAML <-> canvas", () => {
  it("reads the seed's steps and its references, and writes the seed back unchanged", () => {
    const { doc } = parseWorkflow(SEED);
    expect(stepsOf(doc).map((s) => s.name)).toEqual(["base", "foundation", "head", "test", "view"]);
    expect(linksOf(stepsOf(doc)).map((l) => `${l.source}->${l.target}:${l.path.join(".")}`)).toEqual([
      "base->foundation:model", "foundation->head:network.nodes.0.params.ref", "head->test:model", "test->view:source"]);
    expect(textOf(doc)).toBe(SEED);
  });

  it("a field set on the canvas keeps every comment, the key order and the comment beside the value", () => {
    const out = edited(SEED, (d) => setField(d, "head", ["epochs"], 3));
    expect(out).toBe(SEED.replace("    epochs: 1\n    batch_size: 64", "    epochs: 3\n    batch_size: 64"));
    const small = edited(SMALL, (d) => setField(d, "base", ["epochs"], 2));
    expect(small).toContain("    epochs: 2 # a quick trial\n");
    expect(small.startsWith("# my pipeline\n")).toBe(true);
    expect(small).toContain("  - name: base # the CNN\n");
  });

  it("a new step carries only its name and kind (the schema's defaults are not copied in), named uniquely", () => {
    const out = edited(SMALL, (d) => { addStep(d, "evaluate"); addStep(d, "evaluate"); });
    expect(parse(out).steps.slice(2)).toEqual([{ name: "evaluate", kind: "evaluate" }, { name: "evaluate_2", kind: "evaluate" }]);
    expect(out.startsWith(SMALL)).toBe(true);
  });

  it("starts an empty workflow as a block list", () => {
    const out = edited(EMPTY_WORKFLOW, (d) => { addStep(d, "train", { network: { template: "mlp" } }); });
    expect(out).toBe("format: graft.workflow/v1\nname: my-workflow\nsteps:\n  - name: train\n    kind: train\n    network:\n      template: mlp\n");
  });

  it("connecting sets the field the schema spells: model, source, data, a Foundation's ref", () => {
    let text = edited(SMALL, (d) => { addStep(d, "slice"); addStep(d, "view"); addStep(d, "import_dataset"); });
    text = edited(text, (d) => {
      expect(connect(d, "base", "slice", resultOf)).toEqual({ path: ["model"] });
      expect(connect(d, "test", "view", resultOf)).toEqual({ path: ["source"] });
      expect(connect(d, "import_dataset", "base", resultOf)).toEqual({ path: ["data"] });
    });
    const doc = parse(text);
    expect(doc.steps.find((s: { name: string }) => s.name === "slice").model).toEqual({ step: "base" });
    expect(doc.steps.find((s: { name: string }) => s.name === "view").source).toEqual({ step: "test" });
    // the data set now comes first: every step follows the steps it refers to (the rest keep their order)
    expect(doc.steps.map((s: { name: string }) => s.name)).toEqual(["import_dataset", "base", "test", "slice", "view"]);
    expect(doc.steps[1].data).toEqual({ step: "import_dataset" });
    expect(text).toContain("  - name: base # the CNN\n");   // the moved step's comments move with it
    const head = edited(SEED, (d) => connect(d, "base", "head", resultOf));
    expect(parse(head).steps[2].network.nodes[0].params.ref).toEqual({ step: "base" });
    expect(head).toBe(SEED.replace("ref: {step: foundation}", "ref: {step: base}"));
  });

  it("a data set connected to an evaluation keeps the reference's split and transforms", () => {
    const text = SMALL.replace("    model: {step: base}\n", "    model: {step: base}\n    data: {dataset: mnist, split: test, transforms: [{limit: 100}]}\n");
    const out = edited(text, (d) => { addStep(d, "import_dataset", { source: "digits.zip" }); connect(d, "import_dataset", "test", resultOf); });
    expect(parse(out).steps.find((s: { name: string }) => s.name === "test").data).toEqual({ step: "import_dataset", split: "test", transforms: [{ limit: 100 }] });
  });

  it("refuses a connection that the step cannot take, or that makes a cycle, and leaves the text alone", () => {
    const { doc } = parseWorkflow(SMALL);
    addStep(doc, "view");
    const before = textOf(doc);
    expect(connect(doc, "base", "view", resultOf)).toMatchObject({ reason: "a view step takes an evaluation here, and train step “base” makes a model" });
    expect(connect(doc, "test", "base", resultOf)).toMatchObject({ reason: expect.stringContaining("cycle") });
    expect(connect(doc, "view", "base", resultOf)).toMatchObject({ reason: expect.stringContaining("takes a data set here") });
    expect(connect(doc, "test", "test", resultOf)).toMatchObject({ reason: expect.any(String) });
    expect(connect(doc, "base", "base", resultOf)).toMatchObject({ reason: expect.any(String) });
    const cyc = parseWorkflow(edited(SEED, () => {})).doc;
    expect(connect(cyc, "head", "foundation", resultOf)).toMatchObject({ reason: expect.stringContaining("cycle") });
    expect(textOf(doc)).toBe(before);
  });

  it("disconnecting removes the reference", () => {
    const { doc } = parseWorkflow(SMALL);
    disconnect(doc, linksOf(stepsOf(doc))[0]);
    expect(parse(textOf(doc)).steps[1]).toEqual({ name: "test", kind: "evaluate" });
  });

  it("deleting a step that another refers to is refused, or clears those references when asked", () => {
    const { doc } = parseWorkflow(SMALL);
    expect(deleteStep(doc, "base").usedBy.map((l) => l.target)).toEqual(["test"]);
    expect(textOf(doc)).toBe(SMALL);
    expect(deleteStep(doc, "base", true).usedBy).toEqual([]);
    expect(textOf(doc)).toBe("# my pipeline\nformat: graft.workflow/v1\nname: small\nsteps:\n  - name: test\n    kind: evaluate\n");
    expect(deleteStep(doc, "test").usedBy).toEqual([]);
    expect(stepsOf(doc)).toEqual([]);
  });

  it("renaming a step renames every reference to it", () => {
    const out = edited(SEED, (d) => renameStep(d, "foundation", "features"));
    expect(out).toBe(SEED.replace("  - name: foundation\n", "  - name: features\n").replace("ref: {step: foundation}", "ref: {step: features}"));
  });

  it("a YAML error names its line", () => {
    const { error } = parseWorkflow("format: graft.workflow/v1\nsteps:\n  - name: a\n    kind: train: x\n");
    expect(error).toEqual({ line: 4, message: "Nested mappings are not allowed in compact mappings" });
  });
});

describe("a step's data reference", () => {
  const resultText = (text: string, step: string) => parse(text).steps.find((s: { name: string }) => s.name === step).data;
  it("starts from the kind's default, then edits the reference in place", () => {
    let text = edited(SMALL, (d) => setData(d, "test", { limit: 200 }, { dataset: "mnist", split: "test" }));
    expect(resultText(text, "test")).toEqual({ dataset: "mnist", split: "test", transforms: [{ limit: 200 }] });
    text = edited(text, (d) => setData(d, "test", { limit: 50 }, null));
    expect(text).toContain("data: {dataset: mnist, split: test, transforms: [{limit: 50}]}");
    text = edited(text, (d) => setData(d, "test", { limit: null, dataset: "fashion-mnist" }, null));
    expect(resultText(text, "test")).toEqual({ dataset: "fashion-mnist", split: "test" });
  });

  it("a plain name becomes a reference with the limit, and other transforms stay", () => {
    const text = SMALL.replace("    epochs: 1", "    data: {dataset: mnist, transforms: [{keep_classes: [0, 1]}]} # two digits\n    epochs: 1");
    const out = edited(text, (d) => setData(d, "base", { limit: 300 }, "mnist"));
    expect(out).toContain("    data: {dataset: mnist, transforms: [{keep_classes: [0, 1]}, {limit: 300}]} # two digits\n");
    const plain = edited(SMALL, (d) => setData(d, "base", { limit: 300 }, "mnist"));
    expect(resultText(plain, "base")).toEqual({ dataset: "mnist", transforms: [{ limit: 300 }] });
  });

  it("the workflow's name is set in place", () => {
    expect(edited(SMALL, (d) => setWorkflowField(d, "name", "tiny"))).toBe(SMALL.replace("name: small", "name: tiny"));
  });
});
