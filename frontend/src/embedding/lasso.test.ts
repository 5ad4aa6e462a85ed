import { describe, expect, it } from "vitest";
import { fitToScreen, labelColour, nearest, pointInPolygon, pointsInPolygon, polygonArea, type Pt } from "./lasso";

const square: Pt[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
// an L: the square's top-right quarter is cut out
const ell: Pt[] = [[0, 0], [10, 0], [10, 5], [5, 5], [5, 10], [0, 10]];

describe("pointInPolygon", () => {
  it("finds points inside and outside a square", () => {
    expect(pointInPolygon([5, 5], square)).toBe(true);
    expect(pointInPolygon([11, 5], square)).toBe(false);
    expect(pointInPolygon([-1, -1], square)).toBe(false);
  });
  it("follows a concave outline (the notch of an L is outside)", () => {
    expect(pointInPolygon([2, 8], ell)).toBe(true);
    expect(pointInPolygon([8, 2], ell)).toBe(true);
    expect(pointInPolygon([8, 8], ell)).toBe(false);
  });
  it("a line or a dot encloses nothing", () => {
    expect(pointInPolygon([0, 0], [[0, 0], [5, 5]])).toBe(false);
    expect(pointInPolygon([0, 0], [])).toBe(false);
  });
});

describe("pointsInPolygon", () => {
  it("returns the indices of the enclosed points, in order", () => {
    const pts: Pt[] = [[1, 1], [8, 8], [20, 20], [4, 9], [9, 1]];
    expect(pointsInPolygon(pts, ell)).toEqual([0, 3, 4]);
    expect(pointsInPolygon(pts, square)).toEqual([0, 1, 3, 4]);
    expect(pointsInPolygon(pts, [[0, 0], [1, 1]])).toEqual([]);
  });
});

describe("polygonArea", () => {
  it("measures either winding the same", () => {
    expect(polygonArea(square)).toBe(100);
    expect(polygonArea([...square].reverse())).toBe(100);
    expect(polygonArea(ell)).toBe(75);
  });
});

describe("nearest", () => {
  it("picks the closest point within the radius, else -1", () => {
    const pts: Pt[] = [[0, 0], [10, 0], [12, 0]];
    expect(nearest(pts, [11.5, 0], 3)).toBe(2);
    expect(nearest(pts, [1, 1], 3)).toBe(0);
    expect(nearest(pts, [50, 50], 3)).toBe(-1);
  });
});

describe("fitToScreen", () => {
  it("keeps one scale on both axes, centres, and puts y up", () => {
    const s = fitToScreen([[0, 0], [2, 1]], 220, 220, 10);
    // x spans 200 px (the limit); y spans half of it, centred vertically
    expect(s[0]).toEqual([10, 160]);
    expect(s[1]).toEqual([210, 60]);
  });
  it("a single point lands in the middle", () => {
    expect(fitToScreen([[3, 3]], 100, 50, 5)).toEqual([[50, 25]]);
  });
});

describe("labelColour", () => {
  it("gives ten classes ten different colours and many classes distinct hues", () => {
    expect(new Set(Array.from({ length: 10 }, (_, i) => labelColour(i, 10))).size).toBe(10);
    expect(labelColour(3, 40)).not.toBe(labelColour(4, 40));
  });
});
