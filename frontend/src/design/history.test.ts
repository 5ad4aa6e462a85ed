import { describe, expect, it } from "vitest";
import { checkpoint, record, redo, replace, start, undo } from "./history";

describe("undo history", () => {
  it("undo and redo walk back and forth through recorded states", () => {
    let t = record(record(start("a"), "b"), "c");
    t = undo(t);
    expect(t.present).toBe("b");
    t = undo(t);
    expect(t.present).toBe("a");
    expect(undo(t)).toBe(t); // nothing older
    t = redo(redo(t));
    expect(t.present).toBe("c");
    expect(redo(t)).toBe(t);
  });

  it("a new edit after undo drops the redo branch", () => {
    const t = record(undo(record(record(start(1), 2), 3)), 4);
    expect(t).toEqual({ past: [1, 2], present: 4, future: [] });
  });

  it("an unchanged value records no step", () => {
    const t = start({ x: 1 });
    expect(record(t, t.present)).toBe(t);
  });

  it("a drag is one step: checkpoint at its start, replace per frame, one undo goes back", () => {
    let t = checkpoint(start({ x: 0 }));
    for (let x = 1; x <= 30; x++) t = replace(t, { x });
    expect(t.present).toEqual({ x: 30 });
    expect(undo(t).present).toEqual({ x: 0 });
  });

  it("keeps the last 200 steps", () => {
    let t = start(0);
    for (let i = 1; i <= 250; i++) t = record(t, i);
    expect(t.past).toHaveLength(200);
    expect(t.past[0]).toBe(50);
  });
});
