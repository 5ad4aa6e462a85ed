import { describe, expect, it } from "vitest";
import { checkpoint, record, redo, replace, seal, start, undo } from "./history";

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

describe("undo step sizes", () => {
  it("the keystrokes of one field edit are one step: one undo restores the value before the edit", () => {
    let t = start({ out: 8 });
    for (const out of [1, 12, 128]) t = record(t, { out }, "conv1.out_channels");
    expect(t.past).toEqual([{ out: 8 }]);
    expect(undo(t).present).toEqual({ out: 8 });
  });

  it("sealing (the field loses focus) or another field starts a new step", () => {
    let t = record(start("a"), "ab", "f");
    t = record(t, "abc", "f");
    t = record(seal(t), "abcd", "f");     // the same field, focused again: a step of its own
    t = record(t, "abcde", "g");          // another field
    t = record(t, "abcdef");              // an ungrouped change (a node dropped) never amends
    expect(t.past).toEqual(["a", "abc", "abcd", "abcde"]);
  });

  it("undo ends the group: typing after an undo does not amend the undone step", () => {
    let t = record(record(start(0), 1, "f"), 2, "f");
    t = record(undo(t), 3, "f");
    expect(t.past).toEqual([0]);
    expect(t.present).toBe(3);
    expect(undo(t).present).toBe(0);
  });
});
