import { beforeEach, describe, expect, it } from "vitest";
import { deleteView, describeRef, loadViews, saveView } from "./dataRefs";

beforeEach(() => {
  const store = new Map<string, string>();
  globalThis.localStorage = {
    getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k), clear: () => store.clear(), key: () => null, length: 0,
  } as Storage;
});

describe("data references", () => {
  it("describes a reference by dataset, split and transform kinds", () => {
    expect(describeRef({ dataset: "mnist" })).toBe("mnist");
    expect(describeRef({ dataset: "mnist", split: "test", transforms: [{ classes: [0, 1] }, { limit: 100 }] }))
      .toBe("mnist/test [classes, limit]");
  });

  it("saved views survive a reload, a name saved twice keeps the newer, and delete removes it", () => {
    saveView({ name: "small", ref: { dataset: "mnist", transforms: [{ limit: 10 }] } });
    saveView({ name: "digits", ref: { dataset: "mnist", transforms: [{ classes: [0, 1] }] } });
    saveView({ name: "small", ref: { dataset: "mnist", transforms: [{ limit: 20 }] } });
    expect(loadViews()).toEqual([
      { name: "digits", ref: { dataset: "mnist", transforms: [{ classes: [0, 1] }] } },
      { name: "small", ref: { dataset: "mnist", transforms: [{ limit: 20 }] } },
    ]);
    deleteView("digits");
    expect(loadViews().map((v) => v.name)).toEqual(["small"]);
  });

  it("a corrupt store reads as no views", () => {
    localStorage.setItem("graft-data-views", "{not json");
    expect(loadViews()).toEqual([]);
    localStorage.setItem("graft-data-views", '{"a": 1}');
    expect(loadViews()).toEqual([]);
  });
});
